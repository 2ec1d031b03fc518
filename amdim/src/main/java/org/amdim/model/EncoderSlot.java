package org.amdim.model;

import org.amdim.model.encoder.Encoder;
import org.amdim.nn.Module;

/**
 * Holds the encoder under the child name {@code module}, which is where the original's {@code nn.DataParallel}
 * wrapper puts it: full-model state-dict keys then read {@code encoder.module.…} as in the original checkpoints.
 * Computes nothing itself.
 */
final class EncoderSlot extends Module {
    private final Encoder encoder;

    EncoderSlot(Encoder encoder) {
        this.encoder = registerModule("module", encoder);
    }

    Encoder encoder() {
        return encoder;
    }
}

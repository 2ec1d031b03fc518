package org.amdim.train;

import java.util.Map;

import org.amdim.model.AmdimModel;

/**
 * Something that looks at the model at epoch ends without training it (a k-NN accuracy, for example) and reports
 * metrics. {@link Trainer#addMonitor} registers one; the trainer calls it on the main process after the online
 * evaluation, writes what it returns into the epoch's {@code metrics.csv} row and prints it, and puts the model
 * back in training mode afterwards.
 */
public interface EpochMonitor {
    /**
     * Looks at the model after an epoch.
     *
     * @param model  the model being trained (on the configuration's device); a monitor may switch it to evaluation
     *               mode, and must not change its parameters
     * @param config the training configuration (dataset, device, batch size)
     * @param epoch  the epoch that just ended, from 0
     * @return metrics named as {@link MetricsLog#COLUMNS} name them; empty when there is nothing to report this
     *     epoch
     * @throws java.io.IOException when a dataset it reads fails
     */
    Map<String, Double> afterEpoch(AmdimModel model, TrainConfig config, int epoch) throws java.io.IOException;
}

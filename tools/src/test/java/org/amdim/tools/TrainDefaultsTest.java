package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.amdim.train.EncoderFormat;
import org.amdim.train.TrainConfig;
import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** {@code amdim train} with no options configures exactly {@link TrainConfig#defaults()}: one source of defaults. */
class TrainDefaultsTest {
    @Test
    void noOptionsGiveTheLibraryDefaults() {
        TrainCommand command = new TrainCommand();
        new CommandLine(command).parseArgs();
        TrainConfig d = TrainConfig.defaults();
        TrainConfig c = command.config(d.dataset(), d.classes());
        assertEquals(d.describe(), c.describe());
        assertEquals(d.workers(), c.workers());
        assertEquals(d.output(), c.output());
        assertEquals(d.checkpointEvery(), c.checkpointEvery());
        assertEquals(d.evalBatches(), c.evalBatches());
        assertEquals(d.logEvery(), c.logEvery());
        assertEquals(d.nonFiniteSkips(), c.nonFiniteSkips());
        assertEquals(d.mixture(), c.mixture());
        assertEquals(d.memoryFormat(), c.memoryFormat());
        assertArrayEquals(d.milestones(), c.milestones());
    }

    @Test
    void theMemoryFormatOptionSetsTheConfiguration() {
        for (String value : new String[] {"auto", "channels-last", "contiguous", "CHANNELS_LAST"}) {
            TrainCommand command = new TrainCommand();
            new CommandLine(command).parseArgs("--memory-format", value);
            TrainConfig d = TrainConfig.defaults();
            assertEquals(EncoderFormat.parse(value), command.config(d.dataset(), d.classes()).memoryFormat(), value);
        }
    }

    @Test
    void numbersAreShownAsAPersonWritesThem() {
        assertEquals("2e-4", TrainDefaults.number(2e-4));
        assertEquals("1.0", TrainDefaults.number(1.0));
        assertEquals("1.5e-10", TrainDefaults.number(1.5e-10));
    }
}

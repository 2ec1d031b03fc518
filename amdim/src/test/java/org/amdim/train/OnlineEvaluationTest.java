package org.amdim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.amdim.data.DatasetSpec;
import org.amdim.data.ImageDataset;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.junit.jupiter.api.Test;

/**
 * The online test pass counts every test image unless told to stop early, as the original's {@code test_model}
 * at each epoch end, and says when it looked at a subset.
 */
class OnlineEvaluationTest {
    /** 45 synthetic test images (225 / 5) in batches of 8: five full batches and a last one of 5. */
    private static final int TRAIN_IMAGES = 225;
    private static final int BATCH = 8;

    @Test
    void theDefaultCountsTheWholeTestSetAndALimitIsMarkedAsASubset() throws IOException {
        TrainConfig config = TrainConfig.defaults().toBuilder().dataset(DatasetSpec.synthetic(TRAIN_IMAGES))
                .encoder(new EncoderConfig(32, 8, 32, 2, false)).batchSize(BATCH).build();
        assertEquals(TrainConfig.WHOLE_TEST_SET, config.evalBatches(), "the default is the whole test set");
        ImageDataset test = config.dataset().open(false);
        assertEquals(45, test.size());
        try (AmdimModel model = Trainer.buildModel(config)) {
            OnlineEvaluation.Accuracy all = OnlineEvaluation.run(model, test, config.dataset().preset(), BATCH, 1,
                    config.evalBatches(), config.device());
            assertEquals(45, all.images(), "every test image, the short last batch included");
            assertTrue(all.wholeTestSet());
            assertEquals("(45 images)", all.describeImages());
            assertTrue(model.isTraining(), "left in training mode");

            OnlineEvaluation.Accuracy part = OnlineEvaluation.run(model, test, config.dataset().preset(), BATCH, 1,
                    2, config.device());
            assertEquals(16, part.images());
            assertFalse(part.wholeTestSet());
            assertEquals("(16 images: a subset of the test set)", part.describeImages());

            OnlineEvaluation.Accuracy enough = OnlineEvaluation.run(model, test, config.dataset().preset(), BATCH, 0,
                    6, config.device());
            assertEquals(45, enough.images());
            assertTrue(enough.wholeTestSet(), "a limit of at least every batch is the whole set");
        }
    }
}

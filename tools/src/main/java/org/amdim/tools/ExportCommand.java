package org.amdim.tools;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import org.amdim.model.AmdimModel;
import org.amdim.nn.io.TensorFiles;
import org.amdim.train.CheckpointStore;
import org.amdim.train.ModelCheckpoints;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code amdim export}: the encoder's weights as a safetensors file with the original's state-dict names. */
@Command(name = "export", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Export the encoder weights of a checkpoint to safetensors (names as the original Encoder's"
                + " state dict, loadable in PyTorch with safetensors.torch.load_file).")
public final class ExportCommand implements Callable<Integer> {
    // Output goes through picocli's writer, so in-process callers (tests, embedding tools) can capture it.
    @Spec
    private CommandSpec command;

    @Option(names = "--checkpoint", required = true, description = "Checkpoint file or run directory.")
    Path checkpoint;

    @Option(names = {"--output", "-o"}, required = true, description = "The .safetensors file to write.")
    Path output;

    @Option(names = "--full-model", description = "Export the whole model (encoder.module.*, evaluator.*, ...).")
    boolean fullModel;

    @Override
    public Integer call() throws Exception {
        Map<String, String> meta;
        try (var ckpt = CheckpointStore.load(checkpoint)) {
            meta = new LinkedHashMap<>();
            ckpt.metadata().forEach((k, v) -> {
                if (k.startsWith("model.")) {
                    meta.put(k, v);
                }
            });
        }
        try (AmdimModel model = ModelCheckpoints.load(checkpoint)) {
            Map<String, org.amdim.tensor.Tensor> state = fullModel ? model.stateDict() : model.encoder().stateDict();
            meta.put("exported_from", checkpoint.toString());
            // The writer renames a temporary file in the target directory, so that directory must exist.
            Path parent = output.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            TensorFiles.save(output, state, meta);
            PrintWriter out = command.commandLine().getOut();
            out.println("wrote " + state.size() + " tensors to " + output);
            out.flush();
        }
        return 0;
    }
}

package org.amdim.tools;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.nn.io.TensorFiles;
import org.amdim.train.CheckpointStore;
import org.amdim.train.OriginalCheckpoint;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code amdim convert}: a checkpoint of the original AMDIM code ({@code amdim_cpt.pth}, the published ImageNet
 * models) into our checkpoint format, read without Python by a restricted unpickler that never runs anything the
 * file names ({@link OriginalCheckpoint}).
 */
@Command(name = "convert", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Convert a checkpoint of the original AMDIM code (torch.save of {'model', 'hyperparams',"
                + " 'cursor'}, PyTorch's legacy or zip format) into a checkpoint for eval, segment, export and"
                + " embedding, or with --encoder-only into the encoder's weights as safetensors.",
            "The .pth file is read by a restricted unpickler: a file that names anything but a state dict's"
                + " parts (os.system, eval, ...) is refused, and nothing in it is ever executed."})
public final class ConvertCommand implements Callable<Integer> {
    // Output goes through picocli's writer, so in-process callers (tests, embedding tools) can capture it.
    @Spec
    private CommandSpec command;

    @Parameters(index = "0", paramLabel = "FILE.pth", description = "The original code's checkpoint.")
    Path input;

    @Option(names = {"--output", "-o"}, required = true, paramLabel = "DIR",
            description = "Directory for the checkpoint (created; must hold no checkpoint yet). With"
                    + " --encoder-only: the .safetensors file to write.")
    Path output;

    @Option(names = "--encoder-only",
            description = "Write only the encoder's weights (names as the original Encoder's state dict, like"
                    + " 'amdim export') instead of a checkpoint.")
    boolean encoderOnly;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(input)) {
            throw new ParameterException(command.commandLine(), "FILE.pth: no such file: " + input);
        }
        checkOutput();
        try (OriginalCheckpoint original = OriginalCheckpoint.read(input);
             AmdimModel model = original.model()) {
            Path written;
            Map<String, String> meta = original.metadata();
            if (encoderOnly) {
                Path parent = output.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                TensorFiles.save(output, model.encoder().stateDict(), meta);
                written = output;
            } else {
                // No optimizer state: the original does not save one, so this starts fine-tuning, not a resume.
                written = new CheckpointStore(output, 1).save(0, model.stateDict(), Map.of(), meta);
            }
            EncoderConfig e = original.config().encoder();
            PrintWriter out = command.commandLine().getOut();
            out.printf(Locale.ROOT, "read %s (PyTorch %s format): %dx%d encoder, ndf %d, n_rkhs %d, n_depth %d,"
                    + " use_bn %s, %d classes%n", input, original.format().name().toLowerCase(Locale.ROOT),
                    e.inputSize(), e.inputSize(), e.ndf(), e.nRkhs(), e.nDepth(), e.useBn(),
                    original.config().classes());
            out.println("wrote " + written);
            out.flush();
        }
        return 0;
    }

    private void checkOutput() throws java.io.IOException {
        if (encoderOnly) {
            if (Files.isDirectory(output)) {
                throw new ParameterException(command.commandLine(), "--output: with --encoder-only it names the"
                        + " .safetensors file to write, but " + output + " is a directory");
            }
            return;
        }
        if (Files.exists(output) && !Files.isDirectory(output)) {
            throw new ParameterException(command.commandLine(), "--output: " + output + " is a file, not a"
                    + " directory");
        }
        // Our store keeps the newest checkpoints only: a converted step-0 file beside a run's checkpoints would be
        // pruned at once, or would prune theirs, so it goes into a directory of its own.
        if (!CheckpointStore.list(output).isEmpty()) {
            throw new ParameterException(command.commandLine(), "--output: " + output + " already holds"
                    + " checkpoints; choose a new directory");
        }
    }
}

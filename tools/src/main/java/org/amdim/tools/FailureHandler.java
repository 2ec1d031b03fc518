package org.amdim.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

import org.amdim.bindings.NativeLibraryException;
import org.amdim.bindings.TorchException;
import org.amdim.train.TrainingDivergedException;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Reports an exception thrown by a command as {@code error: <message>} on the error stream and exits with
 * {@link AmdimCli#EXIT_FAILURE}. Expected failures (bad input, a libtorch error, I/O, a missing native library)
 * are shown by their message only; the stack trace follows when {@code --verbose} was given. Anything else is a
 * bug, so its type is named and the user is told how to see the trace.
 */
final class FailureHandler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        boolean verbose = verbose(parseResult);
        if (isExpected(ex)) {
            err.println(commandLine.getColorScheme().errorText("error: " + message(ex)));
        } else {
            err.println(commandLine.getColorScheme().errorText("error: internal failure: " + ex));
        }
        if (verbose) {
            ex.printStackTrace(err);
        } else if (!isExpected(ex)) {
            err.println("(run again with --verbose for the stack trace)");
        }
        err.flush();
        return AmdimCli.EXIT_FAILURE;
    }

    /** Failures that come from the user's input or environment rather than from a bug. */
    static boolean isExpected(Throwable ex) {
        return ex instanceof IllegalArgumentException
                || ex instanceof TorchException
                || ex instanceof IOException
                || ex instanceof UncheckedIOException
                || ex instanceof NativeLibraryException
                || ex instanceof CommandFailedException
                || ex instanceof TrainingDivergedException;
    }

    private static String message(Throwable ex) {
        if (ex instanceof FileSystemException fs) {
            return fs.getFile() + ": " + reason(fs);
        }
        String m = ex.getMessage();
        return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
    }

    /**
     * What went wrong with a file, in words: Java's file exceptions often carry the path alone ("/proc/x"), the
     * kind of failure being only their type.
     */
    static String reason(IOException e) {
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case AccessDeniedException x -> "permission denied";
            case FileAlreadyExistsException x -> "already exists";
            case NotDirectoryException x -> "not a directory";
            case DirectoryNotEmptyException x -> "directory not empty";
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
    }

    /** Whether {@code --verbose} was matched on the top command or on any subcommand (the option is inherited). */
    private static boolean verbose(ParseResult result) {
        for (ParseResult r = result; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}

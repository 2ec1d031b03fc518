package org.amdim.tools.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's two commands as a fresh machine runs them: {@code scripts/train-demo.sh} and {@code scripts/test.sh}
 * with every Debian package missing. Stand-ins for {@code dpkg}, {@code dpkg-query}, {@code apt-get}, {@code sudo}, {@code mvn}
 * and the JDK's {@code java} are put first on {@code PATH}: they report each package missing, print chatter on
 * stdout as apt-get does (one line of it a command that leaves a marker file if anything executes it), and record
 * how they were called. The real scripts then run from the checkout; nothing is installed or built.
 *
 * <p>Before the fix, the callers {@code eval}'d setup.sh's stdout, so on a fresh machine they executed setup's
 * own "setup: installing ..." line and died with exit 127; on a prepared machine setup printed nothing and the
 * fault stayed hidden.
 */
class SetupScriptsTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    private Path bin;
    private Path jdk;
    private Path calls;
    private Path marker;

    @BeforeEach
    void standIns() throws IOException {
        bin = Files.createDirectories(dir.resolve("bin"));
        jdk = Files.createDirectories(dir.resolve("jdk/bin"));
        calls = dir.resolve("calls.log");
        marker = dir.resolve("executed");
        // Every package missing, as on a fresh machine; dpkg-query prints its complaint on stdout.
        script(bin.resolve("dpkg-query"), "echo \"dpkg-query: no packages found matching $4\"; exit 1");
        script(bin.resolve("dpkg"), "echo \"dpkg-query: package '$2' is not installed\" >&2; exit 1");
        script(bin.resolve("apt-get"), """
                echo "apt-get $*" >> "$CALLS"
                echo "Reading package lists... Done"
                echo "touch $MARKER"
                echo 'export JAVA_HOME=/nonexistent'
                """);
        script(bin.resolve("sudo"), "exec \"$@\"");
        script(bin.resolve("mvn"), "echo \"mvn $* JAVA_HOME=$JAVA_HOME\" >> \"$CALLS\"");
        script(jdk.resolve("java"), """
                if [ "$1" = -version ]; then echo 'openjdk version "25" 2025-09-16' >&2; exit 0; fi
                echo "java $*" >> "$CALLS"
                """);
    }

    @Test
    void setupPrintsNothingOnStdoutWhileItInstalls() throws Exception {
        Result r = run("scripts/setup.sh");
        assertEquals(0, r.exit, r.stderr);
        assertEquals("", r.stdout, "setup.sh's stdout must stay empty: a caller might evaluate it");
        assertTrue(r.stderr.contains("setup: installing libtorch-dev"), r.stderr);
        assertTrue(r.stderr.contains("Reading package lists"), "apt-get's output goes to stderr: " + r.stderr);
        List<String> log = Files.readAllLines(calls);
        assertEquals("apt-get update -q", log.get(0));
        assertTrue(log.get(1).startsWith("apt-get install -y -q --no-install-recommends libtorch-dev "), log.get(1));
        assertTrue(log.get(1).contains(" maven "), "a machine without Maven gets it: " + log.get(1));
    }

    @Test
    void theDemoInstallsBuildsAndTrainsOnAFreshMachine() throws Exception {
        Result r = run("scripts/train-demo.sh", "--epochs", "1");
        assertEquals(0, r.exit, r.stderr);
        List<String> log = Files.readAllLines(calls);
        assertEquals(List.of("apt-get update -q", log.get(1),
                "mvn -B --no-transfer-progress -q -DskipTests install JAVA_HOME=" + jdk.getParent(),
                "java --enable-native-access=ALL-UNNAMED -jar tools/target/amdim.jar train --epochs 1"), log);
        assertNothingWasExecuted();
    }

    @Test
    void theTestCommandInstallsAndVerifiesOnAFreshMachine() throws Exception {
        Result r = run("scripts/test.sh", "-o");
        assertEquals(0, r.exit, r.stderr);
        List<String> log = Files.readAllLines(calls);
        assertEquals(3, log.size(), log.toString());
        assertEquals("mvn -B --no-transfer-progress verify -o JAVA_HOME=" + jdk.getParent(), log.get(2));
        assertNothingWasExecuted();
    }

    @Test
    void aMissingJdkIsNamedNotGuessed() throws Exception {
        Files.delete(jdk.resolve("java"));
        Result r = run("scripts/train-demo.sh");
        assertEquals(1, r.exit, r.stderr);
        assertTrue(r.stderr.contains("no JDK 25"), r.stderr);
        assertFalse(Files.readString(calls).contains("mvn"), "nothing is built without the JDK");
    }

    private void assertNothingWasExecuted() {
        assertFalse(Files.exists(marker), "a line apt-get printed was executed by the caller");
    }

    private Result run(String script, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("bash", REPO.resolve(script).toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        // The JDK stand-in is found the way a fresh machine's is: at the one path scripts/env.sh names.
        pb.environment().remove("JAVA_HOME");
        pb.environment().put("AMDIM_JDK", jdk.getParent().toString());
        pb.environment().put("CALLS", calls.toString());
        pb.environment().put("MARKER", marker.toString());
        Files.writeString(calls, "");
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the script did not finish");
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private static void script(Path path, String body) throws IOException {
        Files.writeString(path, "#!/bin/bash\n" + body + "\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private record Result(int exit, String stdout, String stderr) {}
}

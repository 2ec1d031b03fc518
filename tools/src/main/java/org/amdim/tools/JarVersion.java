package org.amdim.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/**
 * The version {@code --version} prints: the project version Maven wrote into {@code version.properties}
 * (so it is right both from the shaded jar and from {@code target/classes}), and the Java runtime. It does not
 * load libtorch, so {@code --version} works on a machine without it ({@code amdim info} reports libtorch).
 */
public final class JarVersion implements IVersionProvider {
    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}, or {@code unknown} when the resource is missing. */
    public static String projectVersion() {
        Properties p = new Properties();
        try (InputStream in = JarVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String v = p.getProperty("version", "unknown");
        // Unfiltered (e.g. run from an IDE that skips resource filtering).
        return v.startsWith("${") ? "unknown" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "amdim " + projectVersion(),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
        };
    }
}

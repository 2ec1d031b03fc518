package org.amdim.nn.io.pth;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The files under {@code src/test/resources/pth/}, made by scripts/fixtures/make_pth_fixtures.py. */
final class PthFixtures {
    private PthFixtures() {
    }

    /** The path of {@code pth/<name>}. */
    static Path path(String name) {
        URL url = PthFixtures.class.getResource("/pth/" + name);
        assertNotNull(url, "missing test resource pth/" + name + " (scripts/fixtures/make_pth_fixtures.py)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }
}

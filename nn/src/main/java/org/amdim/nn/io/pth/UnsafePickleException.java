package org.amdim.nn.io.pth;

import java.io.Serial;

/**
 * Thrown when a pickle asks for something a state dict never needs and that could run code: a global outside the
 * allow-list ({@code os.system}, {@code builtins.eval}, ...), an opcode that instantiates arbitrary classes
 * ({@code INST}, {@code OBJ}, {@code NEWOBJ}), or a call of anything but an allowed function. Nothing named in the
 * pickle is ever looked up or called: the check happens when the opcode is read.
 */
public final class UnsafePickleException extends PthFormatException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param source  the file (or archive entry) being read
     * @param problem what was refused and why
     */
    public UnsafePickleException(String source, String problem) {
        super(source, problem);
    }
}

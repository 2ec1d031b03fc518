package org.amdim.nn.io.pth;

/**
 * A reference to a Python global ({@code module.name}) that passed the allow-list of
 * {@link RestrictedUnpickler}. It is only a name: nothing is imported or resolved.
 *
 * @param module the module, e.g. {@code torch._utils}
 * @param name   the name inside it, e.g. {@code _rebuild_tensor_v2}
 */
public record PickleGlobal(String module, String name) {
    @Override
    public String toString() {
        return module + "." + name;
    }
}

package org.amdim.nn.layers;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.amdim.nn.Module;

/** An indexed list of child modules named {@code 0, 1, 2, ...}, as {@code torch.nn.ModuleList}. */
public final class ModuleList extends Module implements Iterable<Module> {
    private final List<Module> modules = new ArrayList<>();

    /** A list of modules. */
    public ModuleList(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    /** Appends a module; returns this. */
    public ModuleList add(Module module) {
        registerModule(Integer.toString(modules.size()), module);
        modules.add(module);
        return this;
    }

    /** The module at {@code index}. */
    public Module get(int index) {
        return modules.get(index);
    }

    /** Number of modules. */
    public int size() {
        return modules.size();
    }

    @Override
    public Iterator<Module> iterator() {
        return modules.iterator();
    }
}

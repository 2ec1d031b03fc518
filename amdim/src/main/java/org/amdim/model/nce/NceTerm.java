package org.amdim.model.nce;

/** The three global-to-local terms of AMDIM's objective, by source and target scale. */
public enum NceTerm {
    /** Global (1×1) features against every 5×5 location of the other view. */
    T1T5("1t5"),
    /** Global (1×1) features against every 7×7 location of the other view. */
    T1T7("1t7"),
    /** One random 5×5 location against every 5×5 location of the other view. */
    T5T5("5t5");

    private final String label;

    NceTerm(String label) {
        this.label = label;
    }

    /** The original code's name for the term: {@code 1t5}, {@code 1t7} or {@code 5t5}. */
    public String label() {
        return label;
    }
}

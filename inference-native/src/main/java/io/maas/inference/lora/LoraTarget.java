package io.maas.inference.lora;

import java.util.Optional;

/** The seven Llama projections a PEFT LoRA adapter may target, with their module path inside a decoder layer. */
public enum LoraTarget {
    Q_PROJ("self_attn", "q_proj"),
    K_PROJ("self_attn", "k_proj"),
    V_PROJ("self_attn", "v_proj"),
    O_PROJ("self_attn", "o_proj"),
    GATE_PROJ("mlp", "gate_proj"),
    UP_PROJ("mlp", "up_proj"),
    DOWN_PROJ("mlp", "down_proj");

    private final String block;
    private final String moduleName;

    LoraTarget(String block, String moduleName) {
        this.block = block;
        this.moduleName = moduleName;
    }

    /** {@code self_attn} or {@code mlp}. */
    public String block() {
        return block;
    }

    /** The PEFT {@code target_modules} name, e.g. {@code q_proj}. */
    public String moduleName() {
        return moduleName;
    }

    /** The target named {@code moduleName} ({@code q_proj}, ...), if it is one of the seven. */
    public static Optional<LoraTarget> fromModuleName(String moduleName) {
        for (LoraTarget t : values()) {
            if (t.moduleName.equals(moduleName)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}

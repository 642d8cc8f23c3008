package io.maas.inference.model;

import java.util.Optional;

/** The element types the safetensors format defines, with their sizes; the engine computes in F32, F16 or BF16. */
public enum TensorDType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int sizeBytes;

    TensorDType(int sizeBytes) {
        this.sizeBytes = sizeBytes;
    }

    public int sizeBytes() {
        return sizeBytes;
    }

    /** True for the floating-point types the engine accepts as weights. */
    public boolean isSupportedWeight() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The dtype named exactly as in a safetensors header ("F32", "BF16", ...), if any. */
    public static Optional<TensorDType> fromHeaderName(String name) {
        for (TensorDType t : values()) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}

package io.maas.inference.model;

/**
 * A config.json {@code rope_scaling} of type {@code linear} or {@code llama3}, turning rotary inverse frequencies
 * into the scaled ones exactly as Hugging Face's {@code ROPE_INIT_FUNCTIONS} do.
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {

    public static final String LINEAR = "linear";
    public static final String LLAMA3 = "llama3";

    public RopeScaling {
        if (!LINEAR.equals(type) && !LLAMA3.equals(type)) {
            throw new IllegalArgumentException("rope_scaling type must be linear or llama3, was " + type);
        }
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("rope_scaling factor must be positive");
        }
        if (LLAMA3.equals(type) && !(highFreqFactor > lowFreqFactor && lowFreqFactor > 0
                && originalMaxPositionEmbeddings > 0)) {
            throw new IllegalArgumentException("llama3 rope_scaling needs 0 < low_freq_factor < high_freq_factor and"
                    + " a positive original_max_position_embeddings");
        }
    }

    /** HF's linear scaling: positions divided by {@code factor}. */
    public static RopeScaling linear(double factor) {
        return new RopeScaling(LINEAR, factor, 0, 0, 0);
    }

    /** HF's Llama 3.1 scaling. */
    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor,
                                     int originalMaxPositionEmbeddings) {
        return new RopeScaling(LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
    }

    /** The unscaled inverse frequencies theta^(-2i/d), i in [0, d/2), scaled by {@code scaling} when not null. */
    public static double[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        return scaling == null ? inv : scaling.apply(inv);
    }

    /** Scaled copies of {@code inverseFrequencies}. */
    public double[] apply(double[] inverseFrequencies) {
        double[] out = inverseFrequencies.clone();
        if (LINEAR.equals(type)) {
            for (int i = 0; i < out.length; i++) {
                out[i] /= factor;
            }
            return out;
        }
        // _compute_llama3_parameters: long wavelengths are slowed by factor, short ones kept, the band between
        // interpolated smoothly.
        double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
        double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
        for (int i = 0; i < out.length; i++) {
            double wavelen = 2 * Math.PI / out[i];
            double scaled = wavelen > lowFreqWavelen ? out[i] / factor : out[i];
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor)
                        / (highFreqFactor - lowFreqFactor);
                scaled = (1 - smooth) * scaled / factor + smooth * scaled;
            }
            out[i] = scaled;
        }
        return out;
    }
}

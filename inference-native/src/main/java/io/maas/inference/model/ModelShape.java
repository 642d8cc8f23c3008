package io.maas.inference.model;

/** The hyperparameters of a Llama-family model to generate: real shapes without real weights. */
public record ModelShape(String name, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                         int intermediateSize, int vocabSize, boolean tiedEmbeddings, int maxPositionEmbeddings,
                         double ropeTheta, double rmsNormEps, String family, RopeScaling ropeScaling) {

    /** A plain Llama shape (no biases, no rope scaling). */
    public ModelShape(String name, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                      int intermediateSize, int vocabSize, boolean tiedEmbeddings, int maxPositionEmbeddings,
                      double ropeTheta, double rmsNormEps) {
        this(name, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, vocabSize, tiedEmbeddings,
                maxPositionEmbeddings, ropeTheta, rmsNormEps, "llama", null);
    }

    /** A model small enough for unit tests, with grouped-query attention (2 query heads per KV head). */
    public static final ModelShape TINY = new ModelShape("tiny-llama", 64, 2, 4, 2, 128,
            ModelGenerator.TOKENIZER_VOCAB_SIZE, true, 2048, 10000.0, 1e-5);

    /** The shape of HuggingFaceTB/SmolLM-135M. */
    public static final ModelShape SMOLLM_135M = new ModelShape("smollm-135m", 576, 30, 9, 3, 1536,
            49152, true, 2048, 10000.0, 1e-5);

    public ModelShape {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name is blank");
        }
        if (hiddenSize < 1 || numLayers < 1 || numHeads < 1 || numKvHeads < 1 || intermediateSize < 1
                || maxPositionEmbeddings < 1) {
            throw new IllegalArgumentException("sizes must be positive");
        }
        if (hiddenSize % numHeads != 0 || numHeads % numKvHeads != 0 || (hiddenSize / numHeads) % 2 != 0) {
            throw new IllegalArgumentException("hidden_size must split into even-sized heads and heads into KV groups");
        }
        if (vocabSize < ModelGenerator.SPECIAL_TOKENS.size() + 256) {
            throw new IllegalArgumentException("vocab_size must hold the special and the 256 byte tokens");
        }
        if (!"llama".equals(family) && !"qwen2".equals(family)) {
            throw new IllegalArgumentException("family must be llama or qwen2 (q/k/v biases)");
        }
        if (!(ropeTheta > 0) || !(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rope_theta and rms_norm_eps must be positive");
        }
    }

    /** This shape as a Qwen2ForCausalLM (q/k/v projections with biases), under another name. */
    public ModelShape asQwen2(String newName) {
        return new ModelShape(newName, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, vocabSize,
                tiedEmbeddings, maxPositionEmbeddings, ropeTheta, rmsNormEps, "qwen2", ropeScaling);
    }

    /** This shape with {@code scaling} written as config.json's rope_scaling, under another name. */
    public ModelShape withRopeScaling(String newName, RopeScaling scaling) {
        return new ModelShape(newName, hiddenSize, numLayers, numHeads, numKvHeads, intermediateSize, vocabSize,
                tiedEmbeddings, maxPositionEmbeddings, ropeTheta, rmsNormEps, family, scaling);
    }

    public boolean qkvBias() {
        return "qwen2".equals(family);
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }
}

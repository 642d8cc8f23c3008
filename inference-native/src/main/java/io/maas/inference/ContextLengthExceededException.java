package io.maas.inference;

/** A request whose prompt plus requested completion does not fit in the model's context window. */
public class ContextLengthExceededException extends InferenceException {

    private final int promptTokens;
    private final int maxTokens;
    private final int maxContextTokens;

    public ContextLengthExceededException(int promptTokens, int maxTokens, int maxContextTokens) {
        super("This model's maximum context length is " + maxContextTokens + " tokens, but "
                + ((long) promptTokens + maxTokens) + " were requested (" + promptTokens
                + " in the prompt, " + maxTokens + " for the completion)");
        this.promptTokens = promptTokens;
        this.maxTokens = maxTokens;
        this.maxContextTokens = maxContextTokens;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int maxContextTokens() {
        return maxContextTokens;
    }
}

package io.maas.inference;

/** A request parameter outside its allowed range; {@link #param()} names it as the OpenAI API spells it. */
public class InvalidGenerationParameterException extends InferenceException {

    private final String param;

    public InvalidGenerationParameterException(String param, String message) {
        super(message);
        this.param = param;
    }

    /** The offending parameter's wire name (e.g. {@code top_p}), for the error object's {@code param} field. */
    public String param() {
        return param;
    }
}

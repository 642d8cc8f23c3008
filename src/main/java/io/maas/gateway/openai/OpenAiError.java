package io.maas.gateway.openai;

/** OpenAI's error envelope: {@code {"error":{"message","type","param","code"}}}. */
public record OpenAiError(Body error) {

    /** The error's fields; {@code param} and {@code code} are null when they do not apply. */
    public record Body(String message, String type, String param, String code) {
    }

    public static OpenAiError of(String message, String type, String param, String code) {
        return new OpenAiError(new Body(message, type, param, code));
    }
}

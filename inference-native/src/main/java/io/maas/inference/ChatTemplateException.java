package io.maas.inference;

/** A conversation the model's chat template cannot render: the template rejected it, failed, or hit a bound. */
public class ChatTemplateException extends InferenceException {

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}

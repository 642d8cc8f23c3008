package io.maas.inference;

/** Chat was requested from a model whose directory defines no chat template. */
public class MissingChatTemplateException extends ChatTemplateException {

    public MissingChatTemplateException(String message) {
        super(message);
    }
}

package io.maas.inference;

/** A model directory or file that is missing, malformed or inconsistent; the message names the file and tensor. */
public class ModelFormatException extends InferenceException {

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

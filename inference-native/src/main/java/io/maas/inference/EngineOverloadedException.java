package io.maas.inference;

/** The engine's wait queue is full: the request was refused at once, nothing ran (HTTP gateways answer 503). */
public class EngineOverloadedException extends InferenceException {

    public EngineOverloadedException(String message) {
        super(message);
    }
}

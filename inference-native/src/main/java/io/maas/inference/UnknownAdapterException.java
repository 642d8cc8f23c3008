package io.maas.inference;

/** A request named an adapter id the engine does not hold (never loaded, unloaded or evicted). */
public class UnknownAdapterException extends InferenceException {

    private final String adapterId;

    public UnknownAdapterException(String adapterId, String message) {
        super(message);
        this.adapterId = adapterId;
    }

    public String adapterId() {
        return adapterId;
    }
}

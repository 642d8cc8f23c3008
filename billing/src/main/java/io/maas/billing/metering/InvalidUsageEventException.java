package io.maas.billing.metering;

/** A usage event that cannot be billed as it is; the consumer dead-letters it with this message. */
public class InvalidUsageEventException extends RuntimeException {
    public InvalidUsageEventException(String message) {
        super(message);
    }

    public InvalidUsageEventException(String message, Throwable cause) {
        super(message, cause);
    }
}

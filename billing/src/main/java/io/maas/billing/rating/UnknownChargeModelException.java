package io.maas.billing.rating;

/** A price names a charge model this build does not know; pricing it some other way would be a guess. */
public final class UnknownChargeModelException extends RatingException {
    public UnknownChargeModelException(String value) {
        super("unknown charge model " + (value == null ? "null" : "'" + value + "'"));
    }
}

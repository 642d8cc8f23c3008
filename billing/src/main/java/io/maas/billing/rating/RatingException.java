package io.maas.billing.rating;

/**
 * The root of the rating exception family: a usage that cannot be rated as given. Callers (the billing
 * consumer, the admin API) catch this one type; the subclasses say why.
 */
public class RatingException extends RuntimeException {
    public RatingException(String message) {
        super(message);
    }
}

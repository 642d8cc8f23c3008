package io.maas.billing.rating;

/** An input value of rating broke one of its invariants at construction; the message names the field. */
public final class InvalidRatingInputException extends RatingException {
    public InvalidRatingInputException(String message) {
        super(message);
    }
}

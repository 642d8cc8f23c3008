package io.maas.billing.rating;

/** What a charge line is for; the ledger posts each kind to its own account. */
public enum ChargeKind {
    /** Prompt tokens at the price book's input rate. */
    PAYG_INPUT,
    /** Completion tokens at the price book's output rate. */
    PAYG_OUTPUT,
    /** Tokens drawn from a reservation's allowance: zero amount, the fee already paid for them. */
    RESERVATION_INCLUDED,
    /** Tokens beyond a reservation's remaining allowance, at the reservation's overage rate. */
    RESERVATION_OVERAGE;

    public boolean isReservation() {
        return this == RESERVATION_INCLUDED || this == RESERVATION_OVERAGE;
    }
}

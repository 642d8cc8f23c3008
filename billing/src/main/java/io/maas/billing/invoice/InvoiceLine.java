package io.maas.billing.invoice;

/**
 * One line of an invoice: what it is for, its tokens, its exact amount in micros, and that amount rounded once,
 * half-even, to the currency's minor unit (cents).
 *
 * @param kind PAYG_INPUT, PAYG_OUTPUT, RESERVATION_INCLUDED, RESERVATION_OVERAGE or RESERVATION_FEE
 * @param adjustment usage of an earlier period whose invoice was already finalized when it arrived
 */
public record InvoiceLine(int lineNo, String kind, String description, String baseModel, String adapter,
        String reservationId, long tokens, long amountMicros, long amountMinor, boolean adjustment) {
}

package io.maas.billing.ledger;

/**
 * One side of a posting: an amount in micros debited or credited to one account, with what it is for.
 *
 * @param chargeKind the rating line kind (PAYG_INPUT, …) or RESERVATION_FEE; null for payouts
 * @param tokens the tokens the amount is for (0 for fees and payouts)
 */
public record LedgerEntry(String account, long debitMicros, long creditMicros, String chargeKind, String baseModel,
        String adapter, String reservationId, long tokens) {

    public LedgerEntry {
        if (account == null || account.isBlank()) {
            throw new IllegalArgumentException("a ledger entry needs an account");
        }
        if (debitMicros < 0 || creditMicros < 0 || (debitMicros != 0 && creditMicros != 0)) {
            throw new IllegalArgumentException("an entry is a debit or a credit, never negative: " + debitMicros
                    + "/" + creditMicros + " on " + account);
        }
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must not be negative");
        }
    }

    public static LedgerEntry debit(String account, long micros, String kind, String baseModel, String adapter,
            String reservationId, long tokens) {
        return new LedgerEntry(account, micros, 0, kind, baseModel, adapter, reservationId, tokens);
    }

    public static LedgerEntry credit(String account, long micros, String kind, String baseModel, String adapter,
            String reservationId, long tokens) {
        return new LedgerEntry(account, 0, micros, kind, baseModel, adapter, reservationId, tokens);
    }
}

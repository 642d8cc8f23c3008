package io.maas.billing.rating;

import java.util.Currency;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The rating of one usage event: its charge lines and the allowance draw to record. No lines for an
 * uncharged (failed) or empty request.
 */
public record RatingResult(UUID eventId, String tenantId, Currency currency, List<ChargeLine> lines,
        Optional<AllowanceDraw> allowanceDraw) {

    public RatingResult {
        Check.notNull(eventId, "eventId");
        Check.notBlank(tenantId, "tenantId");
        Check.notNull(currency, "currency");
        for (ChargeLine line : Check.notNull(lines, "lines")) {
            Check.notNull(line, "line");
        }
        lines = List.copyOf(lines);
        Check.notNull(allowanceDraw, "allowanceDraw");
        String reservationId = allowanceDraw.isPresent() ? allowanceDraw.get().reservationId() : null;
        for (ChargeLine line : lines) {
            // A request is rated against one reservation or none: its lines cannot disagree about which.
            Check.that(line.reservationId() == null || line.reservationId().equals(reservationId),
                    () -> "line rated against " + line.reservationId() + " but the draw is on " + reservationId);
        }
    }

    public long totalMicros() {
        long total = 0;
        for (ChargeLine line : lines) {
            total = Math.addExact(total, line.amountMicros());
        }
        return total;
    }

    public long providerMicros() {
        long total = 0;
        for (ChargeLine line : lines) {
            total = Math.addExact(total, line.share().providerMicros());
        }
        return total;
    }

    public long platformMicros() {
        long total = 0;
        for (ChargeLine line : lines) {
            total = Math.addExact(total, line.share().platformMicros());
        }
        return total;
    }
}

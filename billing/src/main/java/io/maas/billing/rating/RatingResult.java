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
        Check.notNull(lines, "lines").forEach(line -> Check.notNull(line, "line"));
        lines = List.copyOf(lines);
        Check.notNull(allowanceDraw, "allowanceDraw");
        String reservationId = allowanceDraw.map(AllowanceDraw::reservationId).orElse(null);
        for (ChargeLine line : lines) {
            // A request is rated against one reservation or none: its lines cannot disagree about which.
            Check.that(line.reservationId() == null || line.reservationId().equals(reservationId),
                    "line rated against " + line.reservationId() + " but the draw is on " + reservationId);
        }
    }

    public long totalMicros() {
        return lines.stream().mapToLong(ChargeLine::amountMicros).reduce(0, Math::addExact);
    }

    public long providerMicros() {
        return lines.stream().mapToLong(line -> line.share().providerMicros()).reduce(0, Math::addExact);
    }

    public long platformMicros() {
        return lines.stream().mapToLong(line -> line.share().platformMicros()).reduce(0, Math::addExact);
    }
}

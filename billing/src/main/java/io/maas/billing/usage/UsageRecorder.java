package io.maas.billing.usage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import io.maas.billing.ledger.UsagePoster;

/**
 * Stores batches of usage events exactly once, with their rollups, in one database transaction per batch:
 * the event id is the primary key and already-stored ids are skipped, so a redelivered batch changes nothing.
 * The new events are rated and posted to the ledger in that same transaction ({@link UsagePoster}).
 */
@ApplicationScoped
public class UsageRecorder {
    @Inject
    DataSource dataSource;

    /** Thrown when the database refused the batch's data (not an outage): the caller isolates the bad event. */
    public static class DataRejectedException extends RuntimeException {
        public DataRejectedException(SQLException cause) {
            super(cause.getMessage(), cause);
        }
    }

    @Transactional
    public UsageLedgerWriter.Outcome record(List<UsageLedgerWriter.Delivered> batch) {
        try (Connection connection = dataSource.getConnection()) {
            return recordOn(connection, batch);
        } catch (SQLException e) {
            // SQLSTATE class 22 (data exception) and 23 (integrity violation) are about the data, not the database.
            String state = e.getSQLState();
            if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
                throw new DataRejectedException(e);
            }
            throw new IllegalStateException("usage batch not stored: " + e.getMessage(), e);
        }
    }

    /**
     * The work of {@link #record} on the caller's connection and transaction: stores the batch, then rates and
     * posts the events that were new. Stored, counted and billed together, or not at all.
     */
    public static UsageLedgerWriter.Outcome recordOn(Connection connection, List<UsageLedgerWriter.Delivered> batch)
            throws SQLException {
        UsageLedgerWriter.Written written = UsageLedgerWriter.writeReturningFresh(connection, batch);
        UsagePoster.post(connection, written.fresh());
        return written.outcome();
    }
}

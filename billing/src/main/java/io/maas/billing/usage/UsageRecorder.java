package io.maas.billing.usage;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

/**
 * Stores batches of usage events exactly once, with their rollups, in one database transaction per batch:
 * the event id is the primary key and already-stored ids are skipped, so a redelivered batch changes nothing.
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
            return UsageLedgerWriter.write(connection, batch);
        } catch (SQLException e) {
            // SQLSTATE class 22 (data exception) and 23 (integrity violation) are about the data, not the database.
            String state = e.getSQLState();
            if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
                throw new DataRejectedException(e);
            }
            throw new IllegalStateException("usage batch not stored: " + e.getMessage(), e);
        }
    }
}

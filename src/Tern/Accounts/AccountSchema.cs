using Microsoft.Data.Sqlite;

namespace Tern.Accounts;

/// <summary>The tables of <c>tern.db</c>, versioned with <c>PRAGMA user_version</c>; each step upgrades one version.</summary>
static class AccountSchema
{
    /// <summary>The version this build writes and understands.</summary>
    public const int CurrentVersion = 1;

    static readonly string[] Steps =
    [
        // Version 1.
        """
        CREATE TABLE domains (
            name    TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
            created INTEGER NOT NULL
        );
        -- AUTOINCREMENT: an id is never reused, so a new user can never see a removed user's mail folder.
        CREATE TABLE users (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            address       TEXT NOT NULL UNIQUE COLLATE NOCASE,
            domain        TEXT NOT NULL COLLATE NOCASE REFERENCES domains(name),
            password_hash TEXT NOT NULL,
            enabled       INTEGER NOT NULL DEFAULT 1,
            quota_bytes   INTEGER NOT NULL DEFAULT 0,
            created       INTEGER NOT NULL
        );
        CREATE INDEX users_domain ON users(domain);
        CREATE TABLE aliases (
            source TEXT NOT NULL COLLATE NOCASE,
            target TEXT NOT NULL COLLATE NOCASE,
            domain TEXT NOT NULL COLLATE NOCASE REFERENCES domains(name),
            PRIMARY KEY (source, target)
        );
        CREATE INDEX aliases_domain ON aliases(domain);
        """,
    ];

    /// <summary>Creates or upgrades the schema. Safe when several processes (server and CLI) start at once: the
    /// check and the upgrade run under one write lock.</summary>
    public static async Task EnsureAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        if (await GetVersionAsync(connection, cancellationToken) == CurrentVersion)
            return;

        // WAL lets the server read while the CLI writes; the mode is kept in the file once set.
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken);

        // BEGIN IMMEDIATE takes the write lock at once, so a second process waits here and then sees the new version.
        await ExecuteAsync(connection, "BEGIN IMMEDIATE;", cancellationToken);
        try
        {
            int version = await GetVersionAsync(connection, cancellationToken);
            if (version > CurrentVersion)
                throw new AccountException(
                    $"{connection.DataSource} has schema version {version}, newer than this tern understands ({CurrentVersion}); use a newer tern");
            for (; version < CurrentVersion; version++)
                await ExecuteAsync(connection, Steps[version], cancellationToken);
            await ExecuteAsync(connection, $"PRAGMA user_version={CurrentVersion};", cancellationToken);
            await ExecuteAsync(connection, "COMMIT;", cancellationToken);
        }
        catch
        {
            try { await ExecuteAsync(connection, "ROLLBACK;", CancellationToken.None); }
            catch (SqliteException) { } // no transaction left to roll back; the first error is the one to report
            throw;
        }
    }

    static async Task<int> GetVersionAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

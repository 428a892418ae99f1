using Microsoft.Data.Sqlite;

namespace Tern.Accounts;

/// <summary><c>BEGIN IMMEDIATE</c> ... <c>COMMIT</c>: the write lock is taken before the checks that the write
/// depends on (domain exists, address free), so two processes cannot both pass them. Rolled back unless committed.</summary>
/// <remarks>Plain SQL rather than <see cref="SqliteTransaction"/>, which would have to be attached to every command.</remarks>
sealed class WriteTransaction : IAsyncDisposable
{
    readonly SqliteConnection connection;
    bool done;

    WriteTransaction(SqliteConnection connection) => this.connection = connection;

    public static async Task<WriteTransaction> BeginAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "BEGIN IMMEDIATE;", cancellationToken);
        return new WriteTransaction(connection);
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "COMMIT;", cancellationToken);
        done = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (done)
            return;
        done = true;
        try
        {
            await ExecuteAsync(connection, "ROLLBACK;", CancellationToken.None);
        }
        catch (SqliteException)
        {
            // SQLite already rolled back (after some errors it does); the error that got us here is what matters.
        }
    }

    static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

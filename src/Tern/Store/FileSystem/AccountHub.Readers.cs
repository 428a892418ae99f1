using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>Read connections that keep their prepared statements. Microsoft.Data.Sqlite prepares a statement again for
/// every new <see cref="SqliteCommand"/>, and a pooled connection drops its commands' statements when it is closed;
/// on the hot reads of an IMAP session (FETCH FLAGS of twenty messages) preparing cost as much as running. These
/// connections stay open for the hub's life and each keeps one prepared command per SQL text.</summary>
internal sealed partial class AccountHub
{
    /// <summary>Idle read connections kept per account; more are opened under load and closed when returned.</summary>
    const int MaxIdleReaders = 4;

    readonly ConcurrentBag<ReadConnection> idleReaders = [];
    int readersClosed;

    /// <summary>A read connection with its prepared commands; dispose to give it back. One user at a time.</summary>
    internal sealed class ReadConnection : IDisposable
    {
        readonly AccountHub hub;
        readonly Dictionary<string, SqliteCommand> commands = new(StringComparer.Ordinal);

        public ReadConnection(AccountHub hub)
        {
            this.hub = hub;
            Connection = new SqliteConnection(hub.ConnectionString);
            Connection.Open();
        }

        public SqliteConnection Connection { get; }

        /// <summary>The prepared command for <paramref name="sql"/> with its parameters set to these values (in the
        /// same order every time for one SQL text). Do not dispose it; dispose its reader before the next use.</summary>
        public SqliteCommand Prepared(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
        {
            if (!commands.TryGetValue(sql, out var command))
            {
                command = Connection.CreateCommand();
                command.CommandText = sql;
                foreach (var (name, value) in parameters)
                    command.Parameters.AddWithValue(name, value ?? DBNull.Value);
                command.Prepare();
                commands[sql] = command;
                return command;
            }
            for (int i = 0; i < parameters.Length; i++)
                command.Parameters[i].Value = parameters[i].Value ?? DBNull.Value;
            return command;
        }

        public void Dispose() => hub.ReturnReader(this);

        internal void Close()
        {
            foreach (var command in commands.Values)
                command.Dispose();
            commands.Clear();
            Connection.Dispose();
        }
    }

    /// <summary>A read connection of this account's index (WAL: it reads while the writer commits).</summary>
    internal ReadConnection RentReader()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return idleReaders.TryTake(out var reader) ? reader : new ReadConnection(this);
    }

    void ReturnReader(ReadConnection reader)
    {
        if (Volatile.Read(ref readersClosed) != 0 || idleReaders.Count >= MaxIdleReaders)
        {
            reader.Close();
            return;
        }
        idleReaders.Add(reader);
        // Closed meanwhile: do not leave it open behind the closed hub.
        if (Volatile.Read(ref readersClosed) != 0)
            CloseReaders();
    }

    /// <summary>The hub is closing: its idle read connections are closed (a rebuilt index must not be read through them)
    /// and its cached headers go.</summary>
    internal void CloseReadState()
    {
        CloseReaders();
        headers?.RemoveScope(headerScope);
    }

    void CloseReaders()
    {
        Volatile.Write(ref readersClosed, 1);
        while (idleReaders.TryTake(out var reader))
            reader.Close();
    }
}

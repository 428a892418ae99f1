using Tern.Imap.Protocol;

namespace Tern.Imap.Server;

public sealed partial class ImapSession
{
    /// <summary>A writer on the connection's output; call <see cref="FlushAsync"/> to send.</summary>
    public ImapResponseWriter Writer => new(Connection.Output, Utf8Output);

    public ValueTask WriteLineAsync(string line, CancellationToken cancellationToken) =>
        Connection.WriteLineAsync(line, cancellationToken);

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var flush = await Connection.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flush.IsCompleted || flush.IsCanceled)
            throw new IOException("The client closed the connection.");
    }

    /// <summary>Sends what is buffered once it is large, so a big FETCH streams instead of piling up.</summary>
    public ValueTask FlushIfLargeAsync(CancellationToken cancellationToken) =>
        Connection.Output.UnflushedBytes > 64 * 1024 ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;

    /// <summary>Writes a response line built with the writer, logs it and leaves it buffered.</summary>
    public void WriteBuffered(string line)
    {
        Connection.LogReply(line);
        Writer.Raw(line).Crlf();
    }

    /// <summary>Writes the tagged response after whatever the command left buffered, and sends it all: one flush, so a
    /// command's untagged responses, updates and completion leave in one write.</summary>
    async ValueTask WriteTaggedAsync(string tag, ImapResult result, CancellationToken cancellationToken)
    {
        if (result.Code != Commands.StartTlsCommand.SuppressTag)
        {
            var status = result.Status switch { ImapStatus.Ok => "OK", ImapStatus.No => "NO", _ => "BAD" };
            var code = result.Code is null ? "" : $"[{result.Code}] ";
            WriteBuffered($"{tag} {status} {code}{result.Text}");
        }
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}

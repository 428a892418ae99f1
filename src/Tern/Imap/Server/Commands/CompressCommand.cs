namespace Tern.Imap.Server.Commands;

/// <summary>RFC 4978 COMPRESS=DEFLATE: the tagged OK is the last uncompressed response; the next octets in both
/// directions are raw DEFLATE.</summary>
static class CompressCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var mechanism = args.Atom().ToUpperInvariant();
        args.ExpectEnd();
        // RFC 4978 3: a second COMPRESS is refused with the COMPRESSIONACTIVE code.
        if (session.Connection.IsCompressed)
            return ImapResult.No("Compression is already active", "COMPRESSIONACTIVE");
        if (mechanism != "DEFLATE")
            return ImapResult.Bad($"Unknown compression mechanism {mechanism}");
        await session.WriteLineAsync($"{request.Tag} OK DEFLATE active", cancellationToken).ConfigureAwait(false);
        session.Connection.StartCompression();
        return ImapResult.Ok("", StartTlsCommand.SuppressTag);
    }
}

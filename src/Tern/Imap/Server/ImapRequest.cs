using Tern.Imap.Protocol;

namespace Tern.Imap.Server;

/// <summary>One command as handlers see it: tag, name, the UID prefix and a reader positioned after the name.</summary>
public sealed record ImapRequest(string Tag, string Name, bool Uid, ImapArgumentReader Args, ImapCommandSpec Spec);

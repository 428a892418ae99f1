using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>RFC 7162 CONDSTORE and QRESYNC state of the session.</summary>
public sealed partial class ImapSession
{
    /// <summary>RFC 7162 3.1: set by the first CONDSTORE enabling command (ENABLE CONDSTORE, SELECT (CONDSTORE),
    /// FETCH MODSEQ or CHANGEDSINCE, STORE UNCHANGEDSINCE, SEARCH MODSEQ, STATUS HIGHESTMODSEQ) and kept for the
    /// session: from then on every FETCH response about flags carries MODSEQ.</summary>
    public bool CondstoreEnabled { get; private set; }

    /// <summary>The fast-sync extensions advertised once authenticated.</summary>
    static readonly string[] SyncCapabilities =
        ["CONDSTORE", "QRESYNC", "COMPRESS=DEFLATE", "OBJECTID", "SAVEDATE", "WITHIN", "MULTIAPPEND", "CATENATE"];

    /// <summary>RFC 7162 3.2.3: ENABLE QRESYNC; implies CONDSTORE. VANISHED then replaces EXPUNGE.</summary>
    public bool QresyncEnabled { get; private set; }

    public void EnableCondstore() => CondstoreEnabled = true;

    public void EnableQresync()
    {
        QresyncEnabled = true;
        CondstoreEnabled = true;
    }

    /// <summary>Announces messages gone from the selected mailbox and drops them from the session's view:
    /// "* VANISHED uids" once QRESYNC is enabled (RFC 7162 3.2.10), else "* n EXPUNGE" highest first so the numbers
    /// need no adjusting (RFC 9051 7.5.1).</summary>
    public void WriteExpunged(SelectedMailbox selected, IEnumerable<long> uids)
    {
        if (QresyncEnabled)
        {
            var gone = uids.Distinct().Order().Where(u => selected.Remove(u) > 0).ToList();
            if (gone.Count > 0)
                WriteBuffered("* VANISHED " + SequenceSet.Format(gone));
            return;
        }
        foreach (var uid in uids.Distinct().OrderByDescending(u => u))
        {
            int seq = selected.Remove(uid);
            if (seq > 0)
                WriteBuffered($"* {seq} EXPUNGE");
        }
    }

    /// <summary>The FETCH response items that tell a client about a flag change: FLAGS, then UID, then MODSEQ once
    /// CONDSTORE is enabled (RFC 7162 3.1.4).</summary>
    public string FlagUpdateItems(MessageInfo info, bool withUid)
    {
        var text = $"FLAGS ({FlagText.Format(info, ShowsRecent(info.Uid))})";
        if (withUid || QresyncEnabled)
            text += $" UID {info.Uid}";
        if (CondstoreEnabled)
            text += $" MODSEQ ({info.ModSeq})";
        return text;
    }
}

package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"iter"
)

// Hash is a SHA-256 link of the chain.
type Hash [sha256.Size]byte

// String returns the hash in lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// tag opens the canonical bytes of every version-1 entry.
const tag = "taxsms-audit/1"

// seqOffset is where Seq sits in the canonical bytes.
const seqOffset = len(tag)

// genesis is the hash the first record follows.
var genesis = Hash(sha256.Sum256([]byte(tag + " genesis")))

// Genesis returns the hash that record 1 follows: SHA-256("taxsms-audit/1 genesis").
func Genesis() Hash { return genesis }

// AppendCanonical appends the canonical bytes of e (the layout in the
// package comment) to b and returns the extended slice. Prev and Hash are not
// part of them.
func (e *Entry) AppendCanonical(b []byte) []byte {
	b = append(b, tag...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(e.At.UnixMilli()))
	b = appendStr(b, string(e.Actor.Kind))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Actor.UserID))
	b = appendStr(b, e.Actor.Login)
	b = appendStr(b, string(e.Actor.Role))
	b = appendStr(b, string(e.Action))
	b = appendStr(b, e.Object.Type)
	b = appendStr(b, e.Object.ID)
	b = appendStr(b, string(e.Before))
	b = appendStr(b, string(e.After))
	b = appendStr(b, e.IP)
	b = appendStr(b, e.UserAgent)
	return appendStr(b, e.Detail)
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// Sum returns SHA-256(prev ‖ canonical(e)): the hash of e chained after prev.
func Sum(prev Hash, e *Entry) Hash {
	var buf [512]byte
	return sum(prev, e.AppendCanonical(buf[:0]))
}

func sum(prev Hash, canonical []byte) Hash {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(canonical)
	var out Hash
	h.Sum(out[:0])
	return out
}

// Seal chains e after the record whose hash is prev: it sets e.Prev to prev
// and e.Hash to Sum(prev, e). Seq and At must be final.
func (e *Entry) Seal(prev Hash) {
	e.Prev = prev
	e.Hash = Sum(prev, e)
}

// Anchor is where a chain is checked from: the seq and hash of the last
// record before it (0 and Genesis() for a whole chain; the last removed
// record once retention has removed the oldest ones).
type Anchor struct {
	Seq  int64
	Hash Hash
}

// Fault is how a chain was broken.
type Fault string

// Faults, as Verify tells them apart.
const (
	// Altered: the record's contents, Prev or Hash differ from what was
	// written (or a forged record carries a hash that matches nothing).
	Altered Fault = "altered"
	// Deleted: records are missing; Broken.Seq is the first missing one.
	Deleted Fault = "deleted"
	// Inserted: a record with a valid hash of its own that was not chained
	// after its predecessor (a forgery or a replacement), or records pushed
	// up by ones inserted before them.
	Inserted Fault = "inserted"
	// Reordered: the record was written at another position (Broken.Other),
	// or the records were given out of order.
	Reordered Fault = "reordered"
)

// Broken names the first broken record of a chain.
type Broken struct {
	Seq   int64 // the first broken record (for Deleted: the first missing one)
	Fault Fault
	// Other is the related position: for Deleted the next record present,
	// for Reordered the position the record was written at, for Inserted
	// with records pushed up the position of the first pushed record; else 0.
	Other int64
}

// Why says what is wrong, for people.
func (b *Broken) Why() string {
	switch b.Fault {
	case Deleted:
		if b.Other == b.Seq+1 {
			return fmt.Sprintf("deleted: record %d is missing", b.Seq)
		}
		return fmt.Sprintf("deleted: records %d to %d are missing", b.Seq, b.Other-1)
	case Inserted:
		if b.Other != 0 {
			return fmt.Sprintf("inserted: records %d to %d were inserted; record %d holds what was written as record %d", b.Seq, b.Other-1, b.Other, b.Seq)
		}
		return fmt.Sprintf("inserted: record %d has a hash of its own but does not follow record %d", b.Seq, b.Seq-1)
	case Reordered:
		if b.Other != 0 {
			return fmt.Sprintf("reordered: record %d holds what was written as record %d", b.Seq, b.Other)
		}
		return fmt.Sprintf("reordered: record %d comes after a later record", b.Seq)
	}
	return fmt.Sprintf("altered: record %d does not match its hash", b.Seq)
}

// Error returns "audit chain broken at record N: <why>".
func (b *Broken) Error() string {
	return fmt.Sprintf("audit chain broken at record %d: %s", b.Seq, b.Why())
}

// Verify checks a whole chain, given in order of Seq from record 1. See VerifyFrom.
func Verify(entries iter.Seq2[Entry, error]) (checked int, firstBroken *Broken, err error) {
	return VerifyFrom(Anchor{Hash: genesis}, entries)
}

// moveWindow is how far from its position Verify looks for the position a
// record was written at, to tell a moved record from an altered one.
const moveWindow = 4096

// VerifyFrom checks a chain that starts after the anchor, given in order of
// Seq. It returns how many records were found intact before the first broken
// one, and that one, or nil if the chain holds. err is the first error of
// entries; the count is then of the records checked so far.
//
// Record by record: a Seq beyond the next expected one is Deleted, one before
// it Reordered; a record whose Hash is not Sum(Prev, record) is Altered,
// unless it matches under another Seq within 4096 positions (then it was
// moved: Reordered, or Inserted if it moved up); a record whose Prev is not
// the hash of the record before it is Inserted. Records removed from the end
// of the chain are not detected (see the package comment).
func VerifyFrom(anchor Anchor, entries iter.Seq2[Entry, error]) (checked int, firstBroken *Broken, err error) {
	prev, next := anchor.Hash, anchor.Seq+1
	var buf []byte
	for e, err := range entries {
		if err != nil {
			return checked, nil, err
		}
		switch {
		case e.Seq > next:
			return checked, &Broken{Seq: next, Fault: Deleted, Other: e.Seq}, nil
		case e.Seq < next:
			return checked, &Broken{Seq: e.Seq, Fault: Reordered}, nil
		}
		buf = e.AppendCanonical(buf[:0])
		if sum(e.Prev, buf) != e.Hash {
			switch k := writtenAt(&e, buf, anchor.Seq); {
			case k == 0:
				return checked, &Broken{Seq: e.Seq, Fault: Altered}, nil
			case k < e.Seq:
				// Records k..Seq-1 passed, but they are the inserted ones.
				return checked - int(e.Seq-k), &Broken{Seq: k, Fault: Inserted, Other: e.Seq}, nil
			default:
				return checked, &Broken{Seq: e.Seq, Fault: Reordered, Other: k}, nil
			}
		}
		if e.Prev != prev {
			return checked, &Broken{Seq: e.Seq, Fault: Inserted}, nil
		}
		prev = e.Hash
		next++
		checked++
	}
	return checked, nil, nil
}

// writtenAt returns the position other than e.Seq, after the anchor and
// within moveWindow of it, under which e matches its hash, or 0. canonical
// is e's canonical bytes; it is changed.
func writtenAt(e *Entry, canonical []byte, anchor int64) int64 {
	for d := int64(1); d <= moveWindow; d++ {
		for _, k := range [2]int64{e.Seq - d, e.Seq + d} {
			if k <= anchor {
				continue
			}
			binary.BigEndian.PutUint64(canonical[seqOffset:], uint64(k))
			if sum(e.Prev, canonical) == e.Hash {
				return k
			}
		}
	}
	return 0
}

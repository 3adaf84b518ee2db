// Command tlog-verify checks an Outbound audit log served as C2SP tlog-tiles
// with Go's golang.org/x/mod/sumdb/note and sumdb/tlog, code nobody on the
// Outbound project wrote: the checkpoint's signature, the tree hash from the
// tiles, inclusion proofs of records read from the entry bundles, and the
// consistency of an earlier checkpoint with the current one.
//
// Built offline in GOPATH mode against Debian's golang-golang-x-mod-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o tlog-verify ./scripts/tlog-verify
//
// Usage:
//
//	tlog-verify -url http://127.0.0.1:PORT -key VERIFIER_KEY [-old FILE] [-save FILE] [-checkpoint FILE] [-records 0,1,255]
//
// Exits 0 when everything verifies, 1 on the first failure.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlog-verify: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// token authorises the fetch of entry bundles (they name staff accounts);
// the checkpoint and the hash tiles are public.
var token string

func fetch(url string) ([]byte, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" && strings.Contains(url, "/log/tile/entries/") {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, nil
}

// openCheckpoint verifies a C2SP checkpoint with the verifier and returns
// its tree (size and root hash).
func openCheckpoint(text []byte, v note.Verifier) (tlog.Tree, error) {
	n, err := note.Open(text, note.VerifierList(v))
	if err != nil {
		return tlog.Tree{}, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != v.Name() {
		return tlog.Tree{}, fmt.Errorf("checkpoint origin %q is not the key's name %q", lines[0], v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return tlog.Tree{}, fmt.Errorf("bad checkpoint size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return tlog.Tree{}, fmt.Errorf("bad checkpoint root %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	return tlog.Tree{N: size, Hash: h}, nil
}

// tiles reads C2SP tiles (tile/<L>/<N>[.p/<W>], no height in the path).
type tiles struct{ base string }

func (t tiles) Height() int { return height }

func (t tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		// Go's path is tile/<H>/<L>/<N>[.p/<W>]; C2SP's drops the height.
		p := strings.TrimPrefix(tile.Path(), fmt.Sprintf("tile/%d/", height))
		b, err := fetch(t.base + "/log/tile/" + p)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

// record reads entry i from its entry bundle in a tree of size n.
func record(base string, n, i int64) ([]byte, error) {
	bundle := i / (1 << height)
	w := n - bundle<<height
	if w > 1<<height {
		w = 1 << height
	}
	// Entry bundles share the index encoding of level-0 tiles.
	p := tlog.Tile{H: height, L: 0, N: bundle, W: int(w)}.Path()
	p = "entries/" + strings.TrimPrefix(p, fmt.Sprintf("tile/%d/0/", height))
	b, err := fetch(base + "/log/tile/" + p)
	if err != nil {
		return nil, err
	}
	var entries [][]byte
	for r := bytes.NewReader(b); r.Len() > 0; {
		var l uint16
		if err := binary.Read(r, binary.BigEndian, &l); err != nil {
			return nil, fmt.Errorf("%s: truncated bundle", p)
		}
		e := make([]byte, l)
		if _, err := io.ReadFull(r, e); err != nil {
			return nil, fmt.Errorf("%s: truncated bundle", p)
		}
		entries = append(entries, e)
	}
	if int64(len(entries)) != w {
		return nil, fmt.Errorf("%s: %d entries, %d expected", p, len(entries), w)
	}
	return entries[i-bundle<<height], nil
}

func main() {
	base := flag.String("url", "", "the server's URL")
	key := flag.String("key", "", "the log's note verifier key")
	old := flag.String("old", "", "an earlier checkpoint (file) the current one must be consistent with")
	save := flag.String("save", "", "write the fetched checkpoint to this file")
	given := flag.String("checkpoint", "", "use this checkpoint (file) instead of fetching it")
	records := flag.String("records", "", "entries to prove (comma-separated; default: first, last and some between)")
	flag.StringVar(&token, "token", "", "API token for the entry bundles")
	flag.Parse()
	if *base == "" || *key == "" {
		flag.Usage()
		os.Exit(2)
	}
	v, err := note.NewVerifier(*key)
	if err != nil {
		fail("verifier key: %v", err)
	}

	var text []byte
	if *given != "" {
		text, err = os.ReadFile(*given)
	} else {
		text, err = fetch(*base + "/log/checkpoint")
	}
	if err != nil {
		fail("checkpoint: %v", err)
	}
	tree, err := openCheckpoint(text, v)
	if err != nil {
		fail("checkpoint does not verify: %v", err)
	}
	fmt.Printf("checkpoint signed by %s: %d entries, root %s\n", v.Name(), tree.N, tree.Hash)
	if *save != "" {
		if err := os.WriteFile(*save, text, 0o644); err != nil {
			fail("%v", err)
		}
	}
	if tree.N == 0 {
		return
	}

	hr := tlog.TileHashReader(tree, tiles{*base})
	th, err := tlog.TreeHash(tree.N, hr)
	if err != nil {
		fail("tree hash from tiles: %v", err)
	}
	if th != tree.Hash {
		fail("tree hash from tiles %s, checkpoint root %s", th, tree.Hash)
	}
	fmt.Printf("tree hash from the tiles = checkpoint root\n")

	var idx []int64
	if *records != "" {
		for _, s := range strings.Split(*records, ",") {
			i, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				fail("-records: %v", err)
			}
			idx = append(idx, i)
		}
	} else {
		for _, i := range []int64{0, 1, 255, 256, tree.N / 2, tree.N - 2, tree.N - 1} {
			if i >= 0 && i < tree.N {
				idx = append(idx, i)
			}
		}
	}
	for _, i := range idx {
		data, err := record(*base, tree.N, i)
		if err != nil {
			fail("record %d: %v", i, err)
		}
		if !bytes.HasPrefix(data, []byte(strconv.FormatInt(i, 10)+"\n")) {
			fail("record %d does not start with its index", i)
		}
		p, err := tlog.ProveRecord(tree.N, i, hr)
		if err != nil {
			fail("inclusion proof of record %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, i, tlog.RecordHash(data)); err != nil {
			fail("record %d is not in the tree: %v", i, err)
		}
	}
	fmt.Printf("inclusion proofs verified for records %v\n", idx)

	if *old != "" {
		otext, err := os.ReadFile(*old)
		if err != nil {
			fail("%v", err)
		}
		otree, err := openCheckpoint(otext, v)
		if err != nil {
			fail("old checkpoint does not verify: %v", err)
		}
		if otree.N > tree.N {
			fail("rollback: old checkpoint has %d entries, current %d", otree.N, tree.N)
		}
		p, err := tlog.ProveTree(tree.N, otree.N, hr)
		if err != nil {
			fail("consistency proof: %v", err)
		}
		if err := tlog.CheckTree(p, tree.N, tree.Hash, otree.N, otree.Hash); err != nil {
			fail("the log of %d entries does not extend the old one of %d: %v", tree.N, otree.N, err)
		}
		fmt.Printf("consistent with the old checkpoint of %d entries\n", otree.N)
	}
	fmt.Println("OK")
}

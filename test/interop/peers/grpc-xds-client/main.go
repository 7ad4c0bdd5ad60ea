// A grpc-go client that resolves its target through xDS (google.golang.org/grpc/xds),
// used by Petrel's interop suite as a reference proxyless client. It calls the test
// echo service (petrel.test.Echo/Call, an empty request; the response's field 1 is the
// answering server's name) n times and prints one JSON line per call.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	_ "google.golang.org/grpc/xds"
)

// rawCodec passes bytes through, so the client needs no generated code.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(b []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), b...)
	return nil
}
func (rawCodec) Name() string { return "raw" }

// firstString decodes field 1 (length-delimited) of a protobuf message.
func firstString(b []byte) string {
	for i := 0; i < len(b); {
		key := b[i]
		i++
		if key&7 != 2 {
			return ""
		}
		n, shift := 0, 0
		for i < len(b) {
			c := b[i]
			i++
			n |= int(c&0x7f) << shift
			shift += 7
			if c < 0x80 {
				break
			}
		}
		if key>>3 == 1 && i+n <= len(b) {
			return string(b[i : i+n])
		}
		i += n
	}
	return ""
}

func main() {
	encoding.RegisterCodec(rawCodec{})
	target := flag.String("target", "", "xds:///host:port")
	n := flag.Int("n", 1, "calls")
	header := flag.String("header", "", "k=v metadata sent with each call")
	timeout := flag.Duration("timeout", 20*time.Second, "time to connect and make all calls")
	flag.Parse()
	conn, err := grpc.NewClient(*target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(2)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *header != "" {
		kv := strings.SplitN(*header, "=", 2)
		ctx = metadata.AppendToOutgoingContext(ctx, kv[0], kv[1])
	}
	enc := json.NewEncoder(os.Stdout)
	for i := 0; i < *n; i++ {
		req, resp := []byte{}, []byte{}
		err := conn.Invoke(ctx, "/petrel.test.Echo/Call", &req, &resp, grpc.CallContentSubtype("raw"), grpc.WaitForReady(true))
		st := status.Convert(err)
		enc.Encode(map[string]any{"server": firstString(resp), "code": int(st.Code()), "message": st.Message()})
	}
}

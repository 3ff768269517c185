package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hamsasim/hamsasim/internal/event"
)

func TestSinkHandler(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(SinkHandler())
	t.Cleanup(srv.Close)
	c := loadContract(t)

	body := `{"eventType":"call.started"}`
	resp, err := http.Post(srv.URL+"/webhook", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(got) != `{"received":true}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("answer %d %q %q, want 200 application/json {\"received\":true}", resp.StatusCode, resp.Header.Get("Content-Type"), got)
	}
	// The one answer must be valid for every event type, or hamsasim's
	// answer validation would count violations on the sink.
	for _, typ := range event.Types {
		if v := c.ValidateAnswer(typ, []byte(body), resp.StatusCode, resp.Header, got); len(v) != 0 {
			t.Errorf("%s: the sink's answer breaks the contract: %v", typ, v)
		}
	}

	resp, err = http.Get(srv.URL + "/webhook")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d Allow %q, want 405 Allow POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

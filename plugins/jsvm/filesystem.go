package jsvm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"time"

	"github.com/dop251/goja"
	"github.com/gabriel-vasile/mimetype"

	"github.com/lumbunghq/lumbung/collections"
)

// maxFileFromURL bounds what $filesystem.fileFromURL downloads.
const maxFileFromURL = 32 << 20

// bindFilesystem adds PocketBase's $filesystem: fileFromBytes(data, name),
// fileFromPath(path) (a file of the hooks folder) and fileFromURL(url[,
// timeoutSeconds]) (through $http.send's guard, at most 32 MiB) make
// files — {name, originalName, size} — that record.set puts in a file
// field ($app.save stores them, as an upload). Types are sniffed from
// the content; names are stored as PocketBase stores an upload's.
func (st *vmState) bindFilesystem() {
	fs := st.vm.NewObject()
	fs.Set("fileFromBytes", func(call goja.FunctionCall) goja.Value {
		return st.fileObject(bytesOf(call.Argument(0)), call.Argument(1).String())
	})
	fs.Set("fileFromPath", func(call goja.FunctionCall) goja.Value {
		rel, err := st.hooksFile(call.Argument(0).String())
		if err != nil {
			st.fault(fmt.Errorf("$filesystem.fileFromPath: %w", err))
		}
		root, err := os.OpenRoot(st.gen.r.dir)
		if err != nil {
			st.fault(fmt.Errorf("$filesystem.fileFromPath: %w", err))
		}
		defer root.Close()
		data, err := root.ReadFile(rel)
		if err != nil {
			st.fault(fmt.Errorf("$filesystem.fileFromPath(%q): %w", call.Argument(0).String(), err))
		}
		return st.fileObject(data, path.Base(rel))
	})
	fs.Set("fileFromURL", func(call goja.FunctionCall) goja.Value {
		timeout := 120 * time.Second
		if secs := call.Argument(1).ToInteger(); secs > 0 {
			timeout = time.Duration(secs) * time.Second
		}
		ctx, cancel := context.WithTimeout(st.context(), timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, call.Argument(0).String(), nil)
		if err != nil {
			st.fault(fmt.Errorf("$filesystem.fileFromURL: %w", err))
		}
		st.budget.pause()
		data, err := func() ([]byte, error) {
			defer st.budget.resume()
			res, err := st.gen.r.client.Do(req)
			if err != nil {
				return nil, err
			}
			defer res.Body.Close()
			if res.StatusCode < 200 || res.StatusCode > 299 {
				return nil, fmt.Errorf("the server answered %s", res.Status)
			}
			data, err := io.ReadAll(io.LimitReader(res.Body, maxFileFromURL+1))
			if err == nil && len(data) > maxFileFromURL {
				err = fmt.Errorf("the file is larger than %d MiB", maxFileFromURL>>20)
			}
			return data, err
		}()
		if err != nil {
			st.fault(fmt.Errorf("$filesystem.fileFromURL: %w", err))
		}
		return st.fileObject(data, path.Base(req.URL.Path))
	})
	st.vm.Set("$filesystem", fs)
}

// fileObject is the script's file of data named name: an upload behind
// the holder symbol, its names and size to read.
func (st *vmState) fileObject(data []byte, name string) goja.Value {
	kind := mimetype.Detect(data)
	u := &collections.Upload{Name: collections.StoredName(name, kind.Extension()), OriginalName: name, Size: int64(len(data)),
		ContentType: kind.String(), Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
	obj := st.vm.NewObject()
	obj.Set("name", u.Name)
	obj.Set("originalName", u.OriginalName)
	obj.Set("size", u.Size)
	if err := obj.DefineDataPropertySymbol(st.holder, st.vm.ToValue(u), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE); err != nil {
		panic(err)
	}
	return obj
}

// uploadOf returns the upload behind a script's file, nil for any other
// value.
func (st *vmState) uploadOf(v goja.Value) *collections.Upload {
	u, _ := st.held(v).(*collections.Upload)
	return u
}

// bytesOf is a script's data as bytes: a string's UTF-8, an ArrayBuffer
// or typed array's bytes, an array of numbers.
func bytesOf(v goja.Value) []byte {
	switch x := v.Export().(type) {
	case string:
		return []byte(x)
	case []byte:
		return x
	case goja.ArrayBuffer:
		return x.Bytes()
	case []any:
		out := make([]byte, len(x))
		for i, b := range x {
			out[i] = byte(toFloat(b))
		}
		return out
	}
	return nil
}

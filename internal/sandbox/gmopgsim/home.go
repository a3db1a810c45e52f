package gmopgsim

import (
	"html/template"
	"net/http"
)

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>GMO-PG シミュレーター</title>
<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.6}code{background:#eee;padding:0 .2em}td,th{border:1px solid #ccc;padding:.2em .5em}table{border-collapse:collapse}</style></head>
<body><h1>GMO ペイメントゲートウェイ（サンドボックス）</h1>
<p>マルチペイメント API（<code>{{.Prefix}}/payment/&lt;API&gt;.idPass</code>）、リクルートかんたん支払いの支払い画面、結果通知、自動洗替の SFTP を再現します。</p>
<h2>認証情報</h2>
<table><tr><th>ショップID / パスワード</th><td><code>{{.ShopID}}</code> / <code>{{.ShopPass}}</code></td></tr>
<tr><th>サイトID / パスワード</th><td><code>{{.SiteID}}</code> / <code>{{.SitePass}}</code></td></tr>
<tr><th>SFTP</th><td><code>{{.SFTPAddr}}</code> ログインID <code>{{.SFTPUser}}</code> パスワード <code>{{.SFTPPassword}}</code></td></tr>
<tr><th>洗替結果の作成日</th><td>毎月{{.ResultDay}}日 0:00（シミュレーターの時計）</td></tr></table>
<h2>テスト用カード番号</h2>
<table><tr><th>番号</th><th>動作</th></tr>
<tr><td><code>4111111111111111</code></td><td>承認。洗替: 有効（0、変更なし）</td></tr>
<tr><td><code>4000000000000010</code></td><td>洗替: 有効（0、有効期限を3年延長）</td></tr>
<tr><td><code>4000000000000028</code></td><td>洗替: 有効（0、カード番号が …0036 に変更）</td></tr>
<tr><td><code>4000000000000101</code></td><td>洗替: 1 有効性NG</td></tr>
<tr><td><code>4000000000000202</code></td><td>洗替: 2 照合エラー</td></tr>
<tr><td><code>4000000000000303</code></td><td>洗替: 3 入力データエラー</td></tr>
<tr><td><code>4000000000000002</code></td><td>オーソリ拒否（42G020000）</td></tr>
<tr><td><code>4000000000000119</code></td><td>カード会社接続エラー（42C010000、再試行可）</td></tr></table>
</body></html>`))

func (s *Sim) serveHome(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = homePage.Execute(w, map[string]any{"Prefix": s.opts.Prefix, "ShopID": s.opts.ShopID, "ShopPass": s.opts.ShopPass,
		"SiteID": s.opts.SiteID, "SitePass": s.opts.SitePass, "SFTPAddr": s.Addr(), "SFTPUser": s.opts.SFTPUser,
		"SFTPPassword": s.opts.SFTPPassword, "ResultDay": s.opts.ResultDay})
}

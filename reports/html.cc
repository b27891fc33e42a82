#include "reports/html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "harness/packet/packet_dump.h"
#include "reports/console.h"
#include "reports/text_escape.h"
#include "reports/text_log.h"
#include "reports/write_file.h"

namespace faultline {
namespace {

using nlohmann::json;

std::string H(const std::string& s) { return HtmlEscape(s); }

std::string Ms(int64_t ns) { return fmt::format("{:.3f}ms", static_cast<double>(ns) / 1e6); }

std::string UtcTime(int64_t unix_ms) {
  if (unix_ms <= 0) return "";
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// A path as an href: percent-encodes everything but unreserved characters
// and '/', so no path can become a scheme ("javascript:"), query or fragment.
std::string HrefPath(const std::string& path) {
  std::string out;
  for (char ch : path) {
    auto u = static_cast<unsigned char>(ch);
    if (std::isalnum(u) || ch == '/' || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += ch;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

// JSON text safe inside a <script> element: no "</script", no "<!--".
std::string ScriptJson(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    if (ch == '<') {
      out += "\\u003c";
    } else if (ch == '>') {
      out += "\\u003e";
    } else if (ch == '&') {
      out += "\\u0026";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string T(const std::string& s) { return SafeText(s, /*escape_controls=*/true); }

// The hosts of a case in ladder order: "client" first if present, then in
// order of first appearance in steps and packets.
std::vector<std::string> LadderHosts(const CaseResult& c) {
  std::vector<std::string> hosts;
  auto add = [&](const std::string& h) {
    std::string name = h.empty() ? "?" : h;
    if (std::find(hosts.begin(), hosts.end(), name) == hosts.end()) hosts.push_back(name);
  };
  for (const StepRecord& s : c.steps) {
    if (!s.host.empty()) add(s.host);
  }
  for (const PacketRecord& p : c.packets) {
    add(p.from);
    add(p.to);
  }
  for (const StateEvent& e : c.states) add(e.host);
  auto it = std::find(hosts.begin(), hosts.end(), "client");
  if (it != hosts.end()) std::rotate(hosts.begin(), it, it + 1);
  return hosts;
}

// Whether `host` is a scripted host (HostSpec::scripted): the environment
// says so, or the wire's log does (it took packets off toward it, or sent
// packets the case crafted from it; fate "scripted").
bool IsScriptedHost(const CaseResult& c, const std::string& host) {
  for (const Environment::Host& h : c.environment.hosts) {
    if (h.name == host && h.scripted) return true;
  }
  for (const PacketRecord& p : c.packets) {
    if (p.fate != PacketFate::kScripted) continue;
    const bool sent = p.action == "scripted send";
    if ((sent ? p.from : p.to) == host) return true;
  }
  return false;
}

// The time origin of a case's ladder: the case start when known (so ladder
// times and the step table's "at" column agree), else its first event.
int64_t LadderOrigin(const CaseResult& c) {
  int64_t first = c.packets.empty() ? INT64_MAX : FirstPacketNs(c);
  for (const StateEvent& e : c.states) first = std::min(first, e.at_ns);
  if (c.start_mono_ns > 0 && c.start_mono_ns <= first) return c.start_mono_ns;
  return first == INT64_MAX ? 0 : first;
}

// "connect c to server:8080" from "client: connect c to server:8080".
std::string StepText(const StepRecord& s) {
  std::string prefix = s.host + ": ";
  if (!s.host.empty() && s.description.rfind(prefix, 0) == 0) {
    return s.description.substr(prefix.size());
  }
  return s.description;
}

// Compact ladder data, times in ns since LadderOrigin():
//   {"hosts":[...], "total":N,    column titles: "peer (scripted)" for a scripted host
//   "gap_after":K or -1, "faults":[Fault::Describe...],
//    "p":[[n, arrival, release or -1, from, to, proto, flags, seq, ack, len,
//          fault, action, copy, rel, fate, summary], ...],
//         fate: PacketFateName (the script colours and marks by it, never
//         by the action's wording); summary: PacketRecordLine() (harness/packet), the
//         tooltip's packet line as is
//    "st":[[t, host, socket, state], ...],     socket state changes (observed,
//                                              then the history's transitions)
//    "sp":[[t, host, text, ok], ...]}          steps that ran, at their start
// With `cap` < the packet count only the first and last cap / 2 packets are
// embedded and "gap_after" is cap / 2.
json LadderJson(const CaseResult& c, size_t cap) {
  std::vector<std::string> hosts = LadderHosts(c);
  auto host_index = [&](const std::string& h) {
    std::string name = h.empty() ? "?" : h;
    return static_cast<int>(std::find(hosts.begin(), hosts.end(), name) - hosts.begin());
  };
  const int64_t t0 = LadderOrigin(c);
  const size_t n = c.packets.size();
  const size_t half = cap / 2;
  const bool capped = n > cap;
  json pk = json::array();
  for (size_t i = 0; i < n; ++i) {
    if (capped && i >= half && i < n - half) continue;
    const PacketRecord& p = c.packets[i];
    pk.push_back(json::array({p.seq_no, p.arrival_ns - t0,
                              p.release_ns == 0 ? int64_t{-1} : p.release_ns - t0,
                              host_index(p.from), host_index(p.to), T(p.proto), T(p.flags),
                              p.has_rel ? p.rel_seq : p.seq, p.has_rel ? p.rel_ack : p.ack,
                              p.payload_len, p.fault, T(p.action), p.is_copy ? 1 : 0,
                              p.has_rel ? 1 : 0, PacketFateName(p.fate), T(PacketRecordLine(p))}));
  }
  json st = json::array();
  for (const StateEvent& e : c.states) {
    st.push_back(json::array({e.at_ns - t0, host_index(e.host), T(e.socket), T(e.state)}));
  }
  // The state history's transitions, as the same small markers.
  for (const TransitionRecord& r : c.transitions) {
    st.push_back(json::array(
        {r.at_ns - t0, host_index(r.host), T(r.socket + " " + r.from + " -> " + r.to), T(r.to)}));
  }
  json sp = json::array();
  if (c.start_mono_ns > 0) {
    for (const StepRecord& s : c.steps) {
      if (!s.ran || s.host.empty()) continue;
      sp.push_back(json::array({c.start_mono_ns + s.start_offset_ns - t0, host_index(s.host),
                                T(StepText(s)), s.ok ? 1 : 0}));
    }
  }
  json hs = json::array();
  for (const std::string& h : hosts) hs.push_back(T(IsScriptedHost(c, h) ? h + " (scripted)" : h));
  json faults = json::array();
  for (const std::string& f : c.faults) faults.push_back(T(f));
  return json{{"hosts", std::move(hs)},
              {"total", n},
              {"gap_after", capped ? static_cast<int64_t>(half) : int64_t{-1}},
              {"faults", std::move(faults)},
              {"p", std::move(pk)},
              {"st", std::move(st)},
              {"sp", std::move(sp)}};
}

constexpr const char* kCss = R"CSS(
:root{--pass:#1a7f37;--fail:#cf222e;--error:#8250df;--skip:#9a6700;--muted:#656d76;--line:#d0d7de}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:16px 24px;color:#1f2328;background:#fff}
h1{font-size:20px;margin:0 0 8px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.summary{display:flex;flex-wrap:wrap;gap:8px 24px;align-items:baseline;margin-bottom:8px}
.summary .n{font-size:18px;font-weight:600}
.cmd{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:4px 8px;margin:4px 0 12px}
.filters{position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid var(--line);z-index:2;display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center}
.filters label{cursor:pointer}
details.case{border:1px solid var(--line);border-radius:6px;margin:8px 0}
details.case>summary{cursor:pointer;padding:6px 10px;display:flex;gap:12px;align-items:baseline;list-style-position:inside}
details.case[open]>summary{border-bottom:1px solid var(--line);background:#f6f8fa}
.body{padding:8px 12px}
.badge{display:inline-block;min-width:44px;text-align:center;border-radius:4px;color:#fff;font-weight:600;font-size:12px;padding:0 4px}
.b-pass{background:var(--pass)}.b-fail{background:var(--fail)}.b-error{background:var(--error)}.b-skip{background:var(--skip)}
.dur{color:var(--muted);min-width:70px;text-align:right}
.file{color:var(--muted);margin-left:auto}
.tag{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 6px;font-size:12px;color:var(--muted)}
.msg{white-space:pre-wrap;background:#fff1f0;border-left:4px solid var(--fail);padding:4px 8px;margin:6px 0}
.msg.skip{background:#fff8c5;border-color:var(--skip)}
table.steps{border-collapse:collapse;margin:6px 0;width:100%}
table.steps th,table.steps td{border:1px solid var(--line);padding:2px 6px;text-align:left;vertical-align:top}
table.steps th{background:#f6f8fa}
table.steps tr.bad td{background:#ffebe9}
table.steps tr.notrun td{color:var(--muted)}
.data{white-space:pre-wrap;word-break:break-all;color:var(--muted)}
.proc pre.out{white-space:pre-wrap;word-break:break-all;max-height:20em;overflow:auto;background:#f6f8fa;border:1px solid var(--line);padding:4px 8px;margin:2px 0}
.muted{color:var(--muted)}
.ladder{overflow:auto;max-height:80vh;border:1px solid var(--line);border-radius:6px;margin-top:6px}
.ladder svg text{font:11px ui-monospace,Menlo,Consolas,monospace}
.legend span{margin-right:14px}
.lhead{position:sticky;top:0;background:#fffe;border-bottom:1px solid var(--line);z-index:1;width:max-content}
.lhead svg text{font:12px system-ui,sans-serif}
table.checks td.ok{color:var(--pass)}table.checks td.no{color:var(--fail);font-weight:600}
.dump{white-space:pre;margin:2px 0 0;color:var(--muted)}
)CSS";

constexpr const char* kJs = R"JS(
(function(){
'use strict';
function esc(s){return String(s).replace(/[&<>"']/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
function ms(ns){return (ns/1e6).toFixed(3)+'ms';}
// Colour and marks come from the fate (p[14]), never from the action's text.
function color(p){var f=p[14];
  if(f==='scripted')return '#1a7f37';
  if(f==='drop')return '#cf222e';
  if(f==='reorder')return '#bc4c00';
  if(f==='delay'||f==='hold')return '#0969da';
  if(f==='duplicate'||f==='inject'||p[12])return '#8250df';
  if(p[10])return '#1f6feb';
  return '#57606a';}
function label(p){var s=p[5]==='tcp'?(p[6]+' seq '+p[7]+' ack '+p[8]+' len '+p[9]):(p[5]+' len '+p[9]);
  if(p[12])s+=' (copy)';
  if(p[14]==='reorder')s='\u21c5 '+s;
  if(p[14]==='scripted')s='\u270e '+s;
  if(p[10])s+=' ['+p[11]+']';
  return s;}
function tip(p,H,F){var s='#'+p[0]+' +'+ms(p[1])+'\n'+p[15];
  if(p[10])s+='\nfault '+p[10]+(F[p[10]-1]?': '+F[p[10]-1]:'')+'\naction: '+p[11];
  s+='\nfate: '+p[14];
  if(p[2]<0)s+='\ndropped at the wire';
  else if(p[2]!==p[1])s+='\nheld '+ms(p[2]-p[1])+', released +'+ms(p[2]);
  if(p[12])s+='\ncopy made/injected by the wire';
  return s;}
function stColor(n){
  if(n==='ESTABLISHED')return '#dafbe1';
  if(/^SYN/.test(n)||n==='LISTEN')return '#ddf4ff';
  if(n==='TIME_WAIT')return '#fbefff';
  if(n==='gone'||n==='CLOSE')return '#eaeef2';
  return '#fff1e5';}
function draw(box){
  if(box.getAttribute('data-done'))return;
  box.setAttribute('data-done','1');
  var holder=document.getElementById(box.getAttribute('data-pk'));
  var d=JSON.parse(holder.textContent);
  var ST=d.st||[],SP=d.sp||[],F=d.faults||[];
  if(!d.p.length&&!ST.length){box.innerHTML='<p class="muted">No packets crossed the wire.</p>';return;}
  var H=d.hosts,nh=H.length,nl=Math.ceil(nh/2),W=300,M=160,RH=20,TOP=8;
  var xs=[];for(var i=0;i<nh;i++)xs.push(M+W*(i<nl?i:i+1));
  var xw=M+W*nl;
  var seg=[[],[]],gi=d.gap_after,split=(gi>=0&&gi<d.p.length)?d.p[gi][1]:Infinity;
  d.p.forEach(function(p,k){var s=(gi>=0&&k>=gi)?1:0;
    seg[s].push({t:p[1],k:k,o:1});
    if(p[2]>=0&&p[2]!==p[1])seg[s].push({t:p[2],k:k,o:2});});
  SP.forEach(function(e,k){seg[e[0]>=split?1:0].push({t:e[0],c:k,o:0});});
  ST.forEach(function(e,k){seg[e[0]>=split?1:0].push({t:e[0],s:k,o:3});});
  function cmp(a,b){return a.t-b.t||a.o-b.o||((a.k||0)-(b.k||0));}
  seg[0].sort(cmp);seg[1].sort(cmp);
  var ev=seg[0];if(gi>=0){ev=ev.concat([{gap:1}],seg[1]);}
  // Rows and arrows become items with the y range they cover; only the
  // items near the ladder's scroll window are in the DOM (paint()), so a
  // ladder of thousands of packets costs what its visible part costs.
  var ya={},yr={},items=[],row=0;
  ev.forEach(function(e){var y=TOP+RH*(++row),r=[];
    if(e.gap){items.push({a:y-RH,b:y,s:'<text x="'+(xw)+'" y="'+y+'" text-anchor="middle" fill="#656d76">\u2026 '+(d.total-d.p.length)+' packets not drawn (see report.json / pcap) \u2026</text>'});return;}
    r.push('<text x="4" y="'+(y-4)+'" fill="#656d76">+'+esc(ms(e.t))+'</text>');
    if(e.c!==undefined){var c=SP[e.c],x=xs[c[1]],rr=x<xw?1:-1;
      r.push('<g class="lstep"><title>'+esc('step at +'+ms(c[0])+' on '+H[c[1]]+': '+c[2])+'</title><circle cx="'+x+'" cy="'+(y-8)+'" r="4" fill="'+(c[3]?'#57606a':'#cf222e')+'"/><text x="'+(x+8*rr)+'" y="'+(y-4)+'" text-anchor="'+(rr>0?'start':'end')+'" font-style="italic" fill="'+(c[3]?'#57606a':'#cf222e')+'">'+esc(c[2])+'</text></g>');}
    else if(e.s!==undefined){var q=ST[e.s],xq=xs[q[1]],w=7*q[3].length+10;
      r.push('<g class="lstate"><title>'+esc(H[q[1]]+(q[2]?' socket '+q[2]:'')+': '+q[3]+' at +'+ms(q[0]))+'</title><rect x="'+(xq-w/2)+'" y="'+(y-17)+'" width="'+w+'" height="15" rx="7" fill="'+stColor(q[3])+'" stroke="#8c959f"/><text x="'+xq+'" y="'+(y-6)+'" text-anchor="middle">'+esc(q[3])+'</text></g>');}
    else if(e.o===2)yr[e.k]=y;else ya[e.k]=y;
    items.push({a:y-RH,b:y,s:r.join('')});});
  var height=TOP+RH*(row+1);
  var width=M+W*(nh+1)-W/2;
  var g=[],hd=[];
  H.forEach(function(h,i){g.push('<line x1="'+xs[i]+'" y1="0" x2="'+xs[i]+'" y2="'+height+'" stroke="#8c959f"/>');
    hd.push('<text x="'+xs[i]+'" y="18" text-anchor="middle" font-weight="bold">'+esc(h)+'</text>');});
  g.push('<line x1="'+xw+'" y1="0" x2="'+xw+'" y2="'+height+'" stroke="#8c959f" stroke-dasharray="6 4" stroke-width="2"/>');
  hd.push('<text x="'+xw+'" y="18" text-anchor="middle" font-weight="bold">wire</text>');
  var lanes=[],arrows=[],xh={};
  d.p.forEach(function(p,k){
    var y1=ya[k],y2=p[2]<0?y1:(p[2]===p[1]?y1:yr[k]);xh[k]=xw;
    if(y2!==y1){var ln=0;while(ln<lanes.length&&lanes[ln]>=y1)ln++;lanes[ln]=y2;
      xh[k]=xw+(ln%8)*7*(xs[p[4]]>=xw?1:-1);}
    arrows.push({a:y1-RH,b:y2+RH,k:k});});
  function arrow(k){
    var p=d.p[k],c=color(p),y1=ya[k],x1=xs[p[3]],x2=xs[p[4]],dash=p[12]?' stroke-dasharray="4 3"':'';
    var y2=p[2]<0?y1:(p[2]===p[1]?y1:yr[k]),h=xh[k];
    var q=['<g class="pkt fate-'+esc(p[14])+'" data-fate="'+esc(p[14])+'"><title>'+esc(tip(p,H,F))+'</title>'];
    q.push('<line x1="'+x1+'" y1="'+y1+'" x2="'+xw+'" y2="'+y1+'" stroke="'+c+'" stroke-width="1.5"'+dash+'/>');
    var lx=(x1+xw)/2;
    q.push('<text x="'+lx+'" y="'+(y1-4)+'" text-anchor="middle" fill="'+c+'">'+esc(label(p))+'</text>');
    if(p[2]<0){
      q.push('<path d="M'+(xw-5)+' '+(y1-5)+'L'+(xw+5)+' '+(y1+5)+'M'+(xw-5)+' '+(y1+5)+'L'+(xw+5)+' '+(y1-5)+'" stroke="#cf222e" stroke-width="2.5"/>');
    }else{
      if(y2!==y1){
        q.push('<line x1="'+xw+'" y1="'+y1+'" x2="'+h+'" y2="'+y1+'" stroke="'+c+'" stroke-width="1.5"/>');
        q.push('<line x1="'+h+'" y1="'+y1+'" x2="'+h+'" y2="'+y2+'" stroke="'+c+'" stroke-width="5" stroke-opacity="0.55"/>');
        q.push('<text x="'+((h+x2)/2)+'" y="'+(y2-4)+'" text-anchor="middle" fill="'+c+'">#'+p[0]+' released after '+esc(ms(p[2]-p[1]))+'</text>');
      }
      q.push('<line x1="'+h+'" y1="'+y2+'" x2="'+x2+'" y2="'+y2+'" stroke="'+c+'" stroke-width="1.5"'+dash+'/>');
      var dir=x2>=xw?1:-1;
      q.push('<path d="M'+x2+' '+y2+'L'+(x2-8*dir)+' '+(y2-4)+'L'+(x2-8*dir)+' '+(y2+4)+'Z" fill="'+c+'"/>');
    }
    q.push('</g>');return q.join('');}
  box.innerHTML='<div class="lhead"><svg width="'+width+'" height="26">'+hd.join('')+'</svg></div>'+
    '<svg class="lbody" width="'+width+'" height="'+height+'" viewBox="0 0 '+width+' '+height+'">'+g.join('')+'<g class="win"></g></svg>';
  var win=box.querySelector('g.win'),last=null;
  // The window: a viewport above the visible part to two below it.
  function paint(){
    var vh=Math.max(box.clientHeight||0,400),top=box.scrollTop,key=Math.floor(top/vh);
    if(key===last)return;last=key;
    var lo=(key-1)*vh,hi=(key+3)*vh,q=[];
    arrows.forEach(function(it){if(it.b>=lo&&it.a<=hi)q.push(arrow(it.k));});
    items.forEach(function(it){if(it.b>=lo&&it.a<=hi)q.push(it.s);});
    win.innerHTML=q.join('');}
  paint();
  var queued=false;
  box.addEventListener('scroll',function(){if(queued)return;queued=true;
    requestAnimationFrame(function(){queued=false;paint();});});
}
var boxes=[].slice.call(document.querySelectorAll('.ladder[data-pk]'));
// The first few open (failing) cases are drawn at once; the rest on sight.
[].slice.call(document.querySelectorAll('details.case[open] .ladder[data-pk]'),0,3).forEach(draw);
if('IntersectionObserver' in window){
  var io=new IntersectionObserver(function(es){es.forEach(function(e){if(e.isIntersecting){io.unobserve(e.target);draw(e.target);}});},{rootMargin:'400px'});
  boxes.forEach(function(b){io.observe(b);});
}else{
  document.querySelectorAll('details.case').forEach(function(dt){
    var f=function(){if(dt.open){var b=dt.querySelector('.ladder[data-pk]');if(b)draw(b);}};
    dt.addEventListener('toggle',f);f();});
}
function apply(){
  var show={};document.querySelectorAll('input.st').forEach(function(i){show[i.value]=i.checked;});
  var tag=document.getElementById('tag').value,q=document.getElementById('q').value.toLowerCase(),n=0;
  document.querySelectorAll('details.case').forEach(function(dt){
    var tags=JSON.parse(dt.getAttribute('data-tags'));
    var ok=show[dt.getAttribute('data-outcome')]&&(!tag||tags.indexOf(tag)>=0)&&(!q||dt.getAttribute('data-name').toLowerCase().indexOf(q)>=0);
    dt.hidden=!ok;if(ok)n++;});
  document.getElementById('shown').textContent=n+' shown';
}
document.querySelectorAll('.filters input,.filters select').forEach(function(i){i.addEventListener('input',apply);i.addEventListener('change',apply);});
document.getElementById('expand').addEventListener('click',function(){document.querySelectorAll('details.case:not([hidden])').forEach(function(d){d.open=true;});});
document.getElementById('collapse').addEventListener('click',function(){document.querySelectorAll('details.case').forEach(function(d){d.open=false;});});
apply();
document.body.setAttribute('data-ready','1');
})();
)JS";

void StepTable(const CaseResult& c, std::string* out) {
  if (c.steps.empty()) {
    *out += "<p class=\"muted\">No steps ran.</p>\n";
    return;
  }
  *out +=
      "<table class=\"steps\"><thead><tr><th>step</th><th>at</th><th>host</th><th>call</th>"
      "<th>expected</th><th>actual</th><th>took</th></tr></thead><tbody>\n";
  for (const StepRecord& s : c.steps) {
    const char* cls = !s.ok ? " class=\"bad\"" : (!s.ran ? " class=\"notrun\"" : "");
    std::string actual;
    if (s.not_in_variant) {
      actual = "not in this variant";
    } else if (!s.ran) {
      actual = "not run";
    } else {
      actual = H(s.actual);
      if (!s.finished) actual += "<br><b>did not finish</b>";
      if (!s.data.empty())
        actual += "<div class=\"data mono\">data " + H(ShownData(s.data)) + "</div>";
      if (!s.ok && !s.failure.empty()) actual += "<div><b>" + H(s.failure) + "</b></div>";
      if (s.IsCommand()) {
        std::string argv;
        for (const std::string& a : s.argv) argv += (argv.empty() ? "" : " ") + QuotedBytes(a);
        actual += "<details class=\"proc\"><summary>command";
        if (!s.command_end.empty()) actual += ": " + H(s.command_end);
        actual += "</summary><div class=\"mono\">" + H(argv) + "</div>";
        auto stream = [&actual](const char* name, const std::string& text, int64_t total) {
          if (total == 0) return;
          actual += fmt::format(
              "<div>{} ({} bytes{})</div><pre class=\"out\">{}</pre>", name, total,
              total > static_cast<int64_t>(text.size()) ? ", the first kept" : "", H(text));
        };
        stream("stdout", s.stdout_text, s.stdout_bytes);
        stream("stderr", s.stderr_text, s.stderr_bytes);
        actual += "</details>";
      }
      if (!s.snapshot.empty()) {
        std::string values;
        for (const auto& [name, v] : s.snapshot) values += fmt::format("{} = {}\n", name, v);
        actual += fmt::format(
            "<details class=\"proc\"><summary>tcp_info ({} bytes)</summary><pre "
            "class=\"out\">{}</pre></details>",
            s.snapshot_bytes, H(values));
      }
    }
    *out += fmt::format(
        "<tr{}><td title=\"{}\">{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}"
        "</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        cls, H(s.loc.ToString()), s.step_index, s.ran ? "+" + H(Ms(s.start_offset_ns)) : "",
        H(s.host), H(s.description), s.expected.empty() ? "success" : H(s.expected), actual,
        s.ran ? H(Ms(s.took_ns)) : "");
  }
  *out += "</tbody></table>\n";
}

// `packets:` and `timing:` expectations: one row each ("packets 2",
// "timing 1"), the failing ones with their dump.
void PacketChecks(const CaseResult& c, std::string* out) {
  if (c.packet_checks.empty()) return;
  *out +=
      "<table class=\"steps checks\"><thead><tr><th>packets</th><th>expectation</th><th>result</th>"
      "</tr></thead><tbody>\n";
  for (const PacketCheckRecord& k : c.packet_checks) {
    std::string result = k.ok ? "ok" : H(k.failure);
    if (!k.ok && !k.dump.empty()) {
      std::string dump;
      for (const std::string& line : k.dump) dump += (dump.empty() ? "" : "\n") + line;
      result += "<div class=\"dump mono\">" + H(dump) + "</div>";
    }
    *out += fmt::format(
        "<tr{}><td title=\"{}\">{}{}</td><td class=\"mono\">{}</td><td class=\"{}\">{}</td>"
        "</tr>\n",
        k.ok ? "" : " class=\"bad\"", H(k.loc.ToString()), k.kind == "timing" ? "timing " : "",
        k.index, H(k.description), k.ok ? "ok" : "no", result);
  }
  *out += "</tbody></table>\n";
}

// The case's faults, numbered as the packet log and the ladder name them.
void FaultList(const CaseResult& c, std::string* out) {
  if (c.faults.empty()) return;
  *out += "<div class=\"muted\">faults:";
  for (size_t i = 0; i < c.faults.size(); ++i) {
    *out += fmt::format(" <span class=\"mono\">{}: {}</span>{}", i + 1, H(c.faults[i]),
                        i + 1 < c.faults.size() ? ";" : "");
  }
  *out += "</div>\n";
}

// The page, written to `sink` a case at a time.
void WritePage(const RunResult& r, const std::vector<std::vector<CaseResult::Pcap>>& pcap_hrefs,
               TextSink& sink) {
  const std::vector<size_t> caps = HtmlLadderCaps(r);
  const int pass = r.Count(Outcome::kPass), fail = r.Count(Outcome::kFail),
            error = r.Count(Outcome::kError), skip = r.Count(Outcome::kSkip);
  std::set<std::string> all_tags;
  for (const CaseResult& c : r.cases) all_tags.insert(c.tags.begin(), c.tags.end());

  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>faultline: {} passed, {} failed</title>\n", pass, fail);
  out += "<style>" + std::string(kCss) + "</style>\n</head><body>\n";

  // Summary.
  out += "<h1>faultline report</h1>\n<div class=\"summary\">";
  out += fmt::format("<span><span class=\"n\">{}</span> cases</span>", r.cases.size());
  out += fmt::format("<span><span class=\"badge b-pass\">{}</span> passed</span>", pass);
  out += fmt::format("<span><span class=\"badge b-fail\">{}</span> failed</span>", fail);
  out += fmt::format("<span><span class=\"badge b-error\">{}</span> errors</span>", error);
  out += fmt::format("<span><span class=\"badge b-skip\">{}</span> skipped</span>", skip);
  out += fmt::format("<span>duration {}</span>", H(ConsoleDuration(r.duration_ns)));
  if (!r.kernel.empty()) out += fmt::format("<span>kernel <code>{}</code></span>", H(r.kernel));
  std::string started = UtcTime(r.start_unix_ms);
  if (!started.empty()) out += fmt::format("<span>started {}</span>", H(started));
  out += "</div>\n";
  if (!r.command_line.empty()) {
    out += fmt::format("<div class=\"cmd mono\">{}</div>\n", H(r.command_line));
  }

  // Filters.
  out += "<div class=\"filters\">";
  const std::pair<const char*, int> statuses[] = {
      {"pass", pass}, {"fail", fail}, {"error", error}, {"skip", skip}};
  for (const auto& [name, n] : statuses) {
    out += fmt::format(
        "<label><input type=\"checkbox\" class=\"st\" value=\"{0}\" checked> {0} ({1})</label>",
        name, n);
  }
  out += "<label>tag <select id=\"tag\"><option value=\"\">all</option>";
  for (const std::string& t : all_tags) {
    out += fmt::format("<option value=\"{0}\">{0}</option>", H(t));
  }
  out += "</select></label>";
  out += "<label>name <input id=\"q\" type=\"search\" size=\"18\"></label>";
  out += "<button id=\"expand\" type=\"button\">expand shown</button>";
  out += "<button id=\"collapse\" type=\"button\">collapse all</button>";
  out += "<span id=\"shown\" class=\"muted\"></span></div>\n";
  out +=
      "<p class=\"legend muted\"><span>ladder: time since the case start runs down, one row per "
      "event</span>"
      "<span style=\"color:#cf222e\">&#x2715; dropped</span>"
      "<span style=\"color:#0969da\">&#x2503; held/delayed on the wire</span>"
      "<span style=\"color:#8250df\">- - copy / duplicate</span>"
      "<span style=\"color:#bc4c00\">&#x21c5; reordered</span>"
      "<span>&#x25cf; step &middot; pill: socket state</span><span>hover an arrow for "
      "details</span></p>\n";

  // Cases.
  for (size_t i = 0; i < r.cases.size(); ++i) {
    sink << out;
    out.clear();
    const CaseResult& c = r.cases[i];
    const char* outcome = OutcomeName(c.outcome);
    json tags = json::array();
    for (const std::string& t : c.tags) tags.push_back(T(t));
    const bool open = c.outcome == Outcome::kFail || c.outcome == Outcome::kError;
    out += fmt::format(
        "<details class=\"case\" id=\"case-{}\" data-outcome=\"{}\" data-tags=\"{}\" "
        "data-name=\"{}\"{}>\n",
        i, outcome, H(tags.dump(-1, ' ', false, json::error_handler_t::replace)), H(c.FullName()),
        open ? " open" : "");
    out += fmt::format(
        "<summary><span class=\"badge b-{}\">{}</span><b>{}</b><span class=\"dur\">{}</span>",
        outcome, outcome, H(c.FullName()), H(ConsoleDuration(c.duration_ns)));
    for (const std::string& t : c.tags) out += fmt::format("<span class=\"tag\">{}</span>", H(t));
    out += fmt::format("<span class=\"file mono\">{}</span></summary>\n", H(c.file));
    out += "<div class=\"body\">\n";
    if (!c.description.empty()) out += fmt::format("<p>{}</p>\n", H(c.description));
    if (c.outcome != Outcome::kPass && !c.message.empty()) {
      out += fmt::format("<div class=\"msg mono{}\">{}</div>\n",
                         c.outcome == Outcome::kSkip ? " skip" : "", H(c.message));
    }
    if (c.invalid_file) {  // nothing ran: no steps, packets or ladder
      out += "<p class=\"muted\">invalid case file: it did not load, nothing ran</p>\n";
      out += "</div></details>\n";
      continue;
    }
    out += fmt::format("<p class=\"muted\">seed {}", c.seed);
    std::string started_case = UtcTime(c.start_unix_ms);
    if (!started_case.empty()) out += " &middot; started " + H(started_case);
    if (!pcap_hrefs[i].empty()) out += " &middot; pcap:";
    for (const CaseResult::Pcap& p : pcap_hrefs[i]) {
      out += fmt::format(" <a href=\"{}\">{}</a>", H(p.path), H(p.host));
    }
    out += "</p>\n";
    StepTable(c, &out);
    PacketChecks(c, &out);
    FaultList(c, &out);
    out += fmt::format("<div class=\"muted\">packets: {}", c.packets.size());
    if (c.packets.size() > caps[i]) {
      out += fmt::format(
          " &mdash; the ladder shows the first {0} and the last {0}; report.json and the pcap "
          "have all of them",
          caps[i] / 2);
    }
    if (c.capture_dropped > 0) {
      out += fmt::format(" &mdash; <b>the capture lost {} packets</b>", c.capture_dropped);
    }
    out += "</div>\n";
    out += fmt::format("<div class=\"ladder\" data-pk=\"pk-{0}\"></div>\n", i);
    out += fmt::format("<script type=\"application/json\" id=\"pk-{}\">{}</script>\n", i,
                       ScriptJson(LadderJson(c, caps[i])));
    out += "</div></details>\n";
  }
  if (r.cases.empty()) out += "<p class=\"muted\">No cases ran.</p>\n";
  out += "<script>" + std::string(kJs) + "</script>\n</body></html>\n";
  sink << out;
}

}  // namespace

std::vector<size_t> HtmlLadderCaps(const RunResult& r) {
  std::vector<size_t> caps(r.cases.size(), kHtmlLadderMaxPackets);
  auto failing = [](const CaseResult& c) {
    return c.outcome == Outcome::kFail || c.outcome == Outcome::kError;
  };
  size_t fixed = 0, wanted = 0;
  for (const CaseResult& c : r.cases) {
    size_t n = std::min(c.packets.size(), kHtmlLadderMaxPackets);
    (failing(c) ? fixed : wanted) += n;
  }
  if (fixed + wanted <= kHtmlPacketBudget) return caps;
  // Water-fill what is left of the budget over the other cases: the largest
  // even cap in [kHtmlLadderMinPackets, kHtmlLadderMaxPackets] that fits.
  const size_t left = kHtmlPacketBudget > fixed ? kHtmlPacketBudget - fixed : 0;
  auto used = [&](size_t cap) {
    size_t sum = 0;
    for (const CaseResult& c : r.cases) {
      if (!failing(c)) sum += std::min(c.packets.size(), cap);
    }
    return sum;
  };
  size_t lo = kHtmlLadderMinPackets, hi = kHtmlLadderMaxPackets;
  while (lo < hi) {
    size_t mid = (lo + hi + 1) / 2;
    if (used(mid) <= left)
      lo = mid;
    else
      hi = mid - 1;
  }
  lo &= ~size_t{1};
  for (size_t i = 0; i < r.cases.size(); ++i) {
    if (!failing(r.cases[i])) caps[i] = lo;
  }
  return caps;
}

std::string HtmlReport(const RunResult& r) {
  std::vector<std::vector<CaseResult::Pcap>> hrefs;
  hrefs.reserve(r.cases.size());
  for (const CaseResult& c : r.cases) {
    std::vector<CaseResult::Pcap>& links = hrefs.emplace_back();
    for (const CaseResult::Pcap& p : c.pcaps) links.push_back({p.host, HrefPath(p.path)});
  }
  std::string out;
  StringSink sink(&out);
  WritePage(r, hrefs, sink);
  return out;
}

Status WriteHtml(const RunResult& r, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path base = fs::absolute(fs::path(path), ec).parent_path().lexically_normal();
  std::vector<std::vector<CaseResult::Pcap>> hrefs;
  hrefs.reserve(r.cases.size());
  for (const CaseResult& c : r.cases) {
    std::vector<CaseResult::Pcap>& links = hrefs.emplace_back();
    for (const CaseResult::Pcap& p : c.pcaps) {
      std::string link = p.path;
      std::error_code ec2;
      fs::path abs = fs::absolute(fs::path(p.path), ec2).lexically_normal();
      if (!ec && !ec2) {
        fs::path rel = abs.lexically_relative(base);
        if (!rel.empty()) link = rel.string();
      }
      links.push_back({p.host, HrefPath(link)});
    }
  }
  Status st = WriteStreamedFile(path, [&](TextSink& out) { WritePage(r, hrefs, out); });
  if (!st.ok()) return st.Prefixed("html report");
  return st;
}

}  // namespace faultline

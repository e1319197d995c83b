"""Tasks of congdoantkv.vn: ``invoke --list`` shows them all. Each calls code in ``newsroom``;
the measurements (``benchmarks/``) are under ``bench.``: ``invoke bench`` (the build),
``invoke bench.images``..."""
import os
import shlex
import shutil
import sys
from pathlib import Path

import invoke

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
PORT = int(os.environ.get("PORT", "8000"))


class _Task(invoke.Task):
    """invoke's task, except that no option gets "-" as its short flag (invoke takes the dash
    of a name such as data-dir when its letters are taken, and help showed "--=STRING")."""

    def arg_opts(self, name, default, taken_names):
        opts = super().arg_opts(name, default, taken_names)
        opts["names"] = [n for n in opts["names"] if n != "-"]
        return opts


def task(*args, **kwargs):
    return invoke.task(*args, klass=_Task, **kwargs)


@task
def clean(c):
    """Xóa thư mục output/ và cache/."""
    for name in ("output", "cache"):
        shutil.rmtree(ROOT / name, ignore_errors=True)


def _refresh_hook():
    """A pre-commit hook installed before the library was split by flow runs the checker by its
    old module path and would refuse every commit: it is written again (newsroom.intake.check)."""
    from newsroom.intake import check as checker

    hook = checker.refresh_hook(ROOT)
    if hook:
        print(f"Đã cập nhật hook pre-commit theo cấu trúc mới của dự án: {hook}")


@task(help={"strict": "dừng lại nếu nội dung có lỗi (như khi xuất bản)"})
def build(c, strict=False):
    """Dựng bản xem trước vào output/ (lỗi nội dung chỉ được cảnh báo)."""
    _refresh_hook()
    # Nothing changed since the last clean build into output/: no build (stamp.py). Messages
    # in Vietnamese, one a line, Pelican's English lines in a file (newsroom/build/buildlog.py).
    c.run(f"{sys.executable} -m newsroom.build.buildlog -s pelicanconf.py --skip-unchanged"
          + (" --strict" if strict else ""), pty=False)


HOST_HELP = ("địa chỉ nghe (mặc định 127.0.0.1: chỉ máy này; 0.0.0.0: cả điện thoại, máy khác "
             "cùng mạng, địa chỉ cần mở được in ra)")


@task(help={"port": f"cổng (mặc định {PORT})", "host": HOST_HELP})
def serve(c, port=PORT, host="127.0.0.1"):
    """Dựng bản xem trước rồi mở tại http://localhost:PORT/ (địa chỉ in ra khi đã sẵn sàng)."""
    from newsroom.build import preview

    httpd = preview.bind(ROOT / "output", int(port), host)  # a busy port: said before the build
    try:
        build(c)
    except BaseException:
        httpd.server_close()
        raise
    preview.serve_forever(httpd, host, say=lambda line: print(line, flush=True))


@task(help={"port": f"cổng (mặc định {PORT})", "host": HOST_HELP})
def livereload(c, port=PORT, host="127.0.0.1"):
    """Giữ trang trong bộ nhớ, cập nhật vài giây sau mỗi lần lưu tệp, tại http://localhost:PORT/."""
    from invoke import Exit

    from newsroom.build import livereload as live

    code = live.main(["--port", str(port), "--host", host])
    if code:
        raise Exit(code=code)


@task(help={"sizes": "số bài của mỗi kho bài mẫu, cách nhau dấu phẩy (mặc định 1000,10000; 0: "
                     "không đo bản dựng, xuất bản)",
            "repeat": "số lần đo mỗi bước (lấy trung vị; mặc định 1)",
            "stock": "đo cả Pelican gốc và Pelican gốc + Pagefind để so sánh (mặc định: có)",
            "live": "đo cả livereload (mặc định: có)",
            "publish": "đo cả xuất bản 1 bài mới (hằng ngày và --full) qua máy chủ SSH thật trên "
                       "127.0.0.1 ở mỗi cỡ (mặc định: có)",
            "publish_fresh": "xuất bản: làm lại từ đầu, kể cả lần đầu với bộ nhớ đệm nén trống "
                             "(khoảng 10 phút ở 10.000 bài), không dùng trạng thái đã giữ",
            "photos": "đo cả kho bài nhiều ảnh với N bài (80 % số bài có 1–6 ảnh cỡ điện thoại "
                      "4000×3000, 1.000 bài là khoảng 13 GB): giây CPU mỗi ảnh bên cạnh mức sàn "
                      "của Pillow (mặc định 0: không đo)"})
def bench(c, sizes="1000,10000", repeat=1, stock=True, live=True, photos=0, publish=True,
          publish_fresh=False):
    """Đo thời gian dựng, xuất bản, bộ nhớ ở quy mô lớn, so với Pelican gốc (+ Pagefind); vào bench/."""
    from benchmarks import bench_suite

    bench_suite.run(sizes=[int(n) for n in str(sizes).split(",") if int(n) > 0],
                    repeat=int(repeat), stock=stock, live=live, publish=publish,
                    photos=int(photos), fresh=publish_fresh)


@task(help={"workers": "số tiến trình pytest-xdist (mặc định: auto)"})
def test(c, workers="auto"):
    """Chạy toàn bộ bộ kiểm thử."""
    from newsroom.build import system

    system.ensure_packages()
    c.run(f"{sys.executable} -m pytest -n {workers} tests", pty=False)


@task(help={"upgrade": "lấy bản mới nhất cho mọi gói phụ thuộc gián tiếp (mặc định: giữ bản đã khóa)"})
def lock(c, upgrade=False):
    """Khóa mọi gói phụ thuộc (kể cả gián tiếp) kèm mã băm: sinh requirements.txt từ requirements.in."""
    uv = Path(sys.executable).with_name("uv")
    c.run(f"{uv} pip compile requirements.in --generate-hashes --python {sys.executable} "
          f"--custom-compile-command 'invoke lock' -o requirements.txt"
          + (" --upgrade" if upgrade else ""), pty=False)


@task(help={"only": "chỉ các bài thuộc chiến dịch hoặc chủ đề này (slug)",
            "json": "in dạng JSON (cho báo cáo, công cụ khác)",
            "content": "thư mục nội dung (mặc định content/)",
            "data": "thư mục dữ liệu (mặc định data/)"})
def tags(c, only=None, json=False, content=None, data=None):
    """Kiểm tra việc gắn chiến dịch, chủ đề: mỗi bài được gắn gì, vì sao."""
    import json as _json

    from newsroom.core import tagging

    try:
        rows = tagging.audit(content or ROOT / "content", data_dir=data, only=only)
    except tagging.UnknownSlug as exc:
        raise SystemExit(f"Lỗi: {exc}") from None
    if json:
        for row in rows:
            row["date"] = row["date"].isoformat() if row["date"] else None
            for key in ("campaign", "theme"):
                row[key] = [{"slug": d.slug, "reason": d.reason, "explicit": d.explicit}
                            for d in row[key]]
        print(_json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(tagging.format_audit(rows))


@task(help={"force": "vẽ lại cả banner đã có"})
def banners(c, force=False):
    """Vẽ banner cho các chiến dịch trong data/campaigns.yml chưa có ảnh."""
    from newsroom.editorial import banners as drawing

    written = drawing.make_banners(ROOT / "content", force=force)
    for path in written:
        print(f"Đã vẽ {path.relative_to(ROOT)}")
    print(f"Đã vẽ {len(written)} banner." if written else "Mọi chiến dịch đã có banner.")


@task(help={"count": "số bài đem đo (mặc định 2000)"})
def bench_tags(c, count=2000):
    """Đo tốc độ gắn chiến dịch, chủ đề (đọc, kiểm tra và gắn từng bài)."""
    from benchmarks import bench_tags as measure

    figures = measure.run(ROOT / "content", int(count))
    print(f"{figures['articles']} bài (xoay vòng {figures['sources']} bài mẫu): "
          f"{figures['seconds']} giây, {figures['ms_per_article']} ms/bài "
          f"(gắn {figures['ms_tag_article']} ms, kiểm tra {figures['ms_validate']} ms)")


@task(help={"from_": "ngày đầu kỳ báo cáo (2020-05-01 hoặc 01/05/2020; mặc định: 4 tuần gần nhất)",
            "to": "ngày cuối kỳ (mặc định: hôm nay)",
            "out": "thư mục ghi báo cáo (mặc định reports/<từ>_<đến>/)",
            "silent_days": "số ngày không có bài thì coi là im lặng (mặc định 14)",
            "content": "thư mục nội dung (mặc định content/)",
            "data_dir": "thư mục dữ liệu (mặc định $NEWSROOM_DATA, không có thì data/)"})
def report(c, from_=None, to=None, out=None, silent_days=14, content=None, data_dir=None):
    """Lập báo cáo nội bộ cho Ban Tuyên giáo: hạn mức đơn vị, chiến dịch, gửi Cổng TTĐT, báo chí."""
    from newsroom.editorial import report as reports

    try:
        made, path = reports.run(from_, to, out, silent_days=int(silent_days),
                                 content_dir=content,
                                 data_dir=data_dir or os.environ.get("NEWSROOM_DATA") or None)
    except (reports.ReportError, ValueError) as exc:
        raise SystemExit(f"Không lập được báo cáo: {exc}") from None
    print(reports.describe(made, path))


@task(help={"date": "ngày đăng (2020-05-04 hoặc 04/05/2020, có thể kèm giờ)",
            "source": "nguồn: slug trong data/outlets.yml hoặc tên báo, trang",
            "url": "đường dẫn bài", "title": "tiêu đề bài",
            "unit": "đơn vị được nhắc tới (slug, tên ngắn); có thể bỏ trống",
            "tone": "sắc thái: positive/neutral/negative (tích cực/trung lập/tiêu cực)",
            "note": "ghi chú", "notable": "tin đáng chú ý (đưa lên đầu báo cáo)",
            "kind": "loại nguồn khi nguồn chưa có trong outlets.yml: press/social/portal",
            "data_dir": "thư mục dữ liệu (mặc định $NEWSROOM_DATA, không có thì data/)",
            "commit": "commit luôn tệp vừa ghi vào git (để invoke publish không từ chối)"})
def clip(c, date=None, source=None, url=None, title=None, unit=None, tone=None, note=None,
         notable=False, kind=None, data_dir=None, commit=False):
    """Ghi nhanh một tin báo chí, mạng xã hội vào data/clippings/<năm>.yml (hỏi trường còn thiếu)."""
    from newsroom.core import data
    from newsroom.editorial import clippings

    fields = {"date": date, "source": source, "url": url, "title": title, "unit": unit,
              "tone": tone, "note": note, "notable": notable, "kind": kind}
    try:
        path, item = clippings.add(clippings.ask(fields) if sys.stdin.isatty() else fields,
                                   data_dir or os.environ.get("NEWSROOM_DATA") or None)
    except (clippings.ClippingError, data.DataError) as exc:
        raise SystemExit(f"Chưa ghi được tin:\n{exc}") from None
    print(f"Đã ghi vào {path}: {item.date:%d/%m/%Y} · {item.source} · "
          f"{item.tone_label} · {item.title}")
    if commit:
        from newsroom.core import gitrepo

        try:
            done = gitrepo.commit(path.parent, [path], f"Ghi tin báo chí: {item.date:%d/%m/%Y} · "
                                                       f"{item.source} · {item.title}")
        except gitrepo.GitError as exc:
            raise SystemExit(f"Tin đã ghi vào {path} nhưng chưa commit được: {exc}") from None
        print(f"Đã commit {done[:12]} (chỉ tệp {path.name}).")


@task(help={"articles": "số bài giả lập (mặc định 5000)", "clips": "số tin báo chí (mặc định 2000)"})
def report_bench(c, articles=5000, clips=2000):
    """Đo thời gian lập báo cáo trên một kho bài giả lập lớn."""
    from benchmarks import bench_report as bench

    print(bench.run(int(articles), int(clips)))


@task(help={
    "paths": "tệp hoặc thư mục cần kiểm tra, cách nhau dấu cách (mặc định: content/)",
    "changed": "chỉ các bài khác với nhánh main",
    "staged": "chỉ các bài sắp commit (hook pre-commit dùng)"})
def check(c, paths="", changed=False, staged=False):
    """Kiểm tra bài viết: mọi lỗi dạng tệp:dòng: trường: lời nhắn và cách sửa."""
    from invoke import Exit

    from newsroom.intake import check as checker

    _refresh_hook()
    argv = shlex.split(paths or "") + (["--changed"] if changed else []) \
        + (["--staged"] if staged else [])
    code = checker.main(argv)
    if code:
        raise Exit(code=code)


@task(help={"force": "thay cả hook pre-commit khác đang có"})
def install_hooks(c, force=False):
    """Cài hook git pre-commit chạy “invoke check” trên các bài sắp commit."""
    from newsroom.intake import check as checker

    print(f"Đã cài hook: {checker.install_hook(ROOT, force=force)}")


@task(help={"source": "thư mục chung, mỗi đơn vị một thư mục con",
            "commit": "commit vào git các bài đã nhận, ghi tên đơn vị và tiêu đề",
            "settle": "số giây giữa hai lần xem một tệp để biết tệp đã ghi xong (mặc định 10)",
            "docx_seconds": "số giây tối đa để đọc một tệp Word (mặc định 60)"})
def ingest(c, source, commit=False, settle=None, docx_seconds=None):
    """Tiếp nhận bài từ thư mục chung vào content/ (để lại phiếu báo cạnh từng tệp)."""
    from invoke import Exit

    from newsroom.intake import ingest as intake

    options = (["--commit"] if commit else []) \
        + (["--settle", str(settle)] if settle is not None else []) \
        + (["--docx-seconds", str(docx_seconds)] if docx_seconds is not None else [])
    code = intake.main(["--source", source, *options])
    if code:
        raise Exit(code=code)


QUEUE = ROOT / "cho-duyet"


def _queue_call(action):
    """Run a queue command; its refusal (in Vietnamese) ends the task without a traceback."""
    from newsroom.core.safefs import Unsafe
    from newsroom.intake import queue

    try:
        return action()
    except (queue.QueueError, Unsafe, OSError) as exc:
        raise SystemExit(f"Chưa làm được: {exc}") from None


@task(help={"preview": "dựng các bài chờ duyệt vào output-cho-duyet/ và mở xem trước",
            "port": f"cổng xem trước (mặc định {PORT + 1})"})
def queue(c, preview=False, port=PORT + 1):
    """Liệt kê bài gửi qua thư mục chung đang chờ Ban Tuyên giáo duyệt."""
    from newsroom.build import preview as serving
    from newsroom.build import site
    from newsroom.intake import queue as pending

    if not preview:
        print(pending.listing(QUEUE))
        return
    output = ROOT / "output-cho-duyet"
    server = serving.bind(output, int(port), "127.0.0.1", "queue --preview")
    urls = _queue_call(lambda: site.build_queue(QUEUE, output))
    base = f"http://localhost:{server.server_port}/"
    print(pending.listing(QUEUE, {k: base + v for k, v in urls.items()}))
    print("Bản xem trước các bài chờ duyệt (chỉ trên máy này):")
    serving.serve_forever(server, "127.0.0.1", say=lambda line: print(line, flush=True))


@task(help={"id": "mã bài (xem “invoke queue”)",
            "edit": "mở bài trong trình soạn thảo ($EDITOR) để sửa trước khi duyệt",
            "editor": "tên người duyệt ghi vào git (mặc định: tên trong git config user.name)"})
def approve(c, id, edit=False, editor=None):
    """Duyệt một bài chờ: đưa vào content/ và commit với tên người duyệt."""
    from newsroom.intake import queue as pending

    if edit:
        path = _queue_call(lambda: pending.Queue(QUEUE).article(pending.Queue(QUEUE).find(id)))
        program = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "nano"
        c.run(f"{program} {shlex.quote(str(path))}", pty=sys.stdin.isatty())
    entry, commit = _queue_call(lambda: pending.approve(QUEUE, ROOT / "content", id,
                                                        editor=editor))
    print(f"Đã duyệt “{entry['title']}”: content/{entry['target']} (commit {commit[:10]}). "
          "Bài lên trang ở lần xuất bản tới (invoke publish).")


@task(name="return", help={"id": "mã bài (xem “invoke queue”)",
                           "note": "lời nhắn cho người gửi: cần sửa gì",
                           "editor": "tên người duyệt (mặc định: git config user.name)"})
def return_(c, id, note="", editor=None):
    """Trả bài chờ duyệt về đơn vị; lời nhắn thành phiếu báo trong thư mục của đơn vị."""
    from newsroom.intake import queue as pending

    entry, receipt = _queue_call(lambda: pending.give_back(
        QUEUE, id, note, editor=editor, content=ROOT / "content"))
    print(f"Đã trả lại “{entry['title']}”; phiếu báo: {receipt}. Bài được giữ ở "
          f"{pending.returned_root(QUEUE).name}/{entry['target']}.")


@task(help={"count": "số bài sinh ra (mặc định 1000)"})
def bench_check(c, count=1000):
    """Đo thời gian “invoke check” trên N bài sinh ngẫu nhiên (mục tiêu: dưới 2 giây)."""
    from benchmarks import bench_check as bench

    bench.run(int(count))


@task(help={"count": "số ảnh (mặc định 1000)", "size": "kích thước, ví dụ 4000x3000",
            "workers": "số tiến trình (mặc định: mọi lõi)",
            "cards": "đo vẽ N thẻ chia sẻ (bài không ảnh) thay vì xử lý ảnh, ví dụ 10000"})
def bench_images(c, count=1000, size="4000x3000", workers=0, cards=0):
    """Đo tốc độ xử lý ảnh: lần đầu, lần sau không đổi gì, đổi một ảnh, mỗi lõi."""
    from benchmarks import bench_images as bench

    if int(cards):
        print(bench.report(bench.bench_cards(int(cards), int(workers))))
        return
    width, height = (int(v) for v in size.lower().split("x"))
    print(bench.report(bench.bench(int(count), (width, height), int(workers))))


@task(help={"dry_run": "chỉ liệt kê những gì sẽ thay đổi, không gửi gì",
            "force": "xuất bản commit hiện tại dù còn thay đổi chưa commit (chúng không lên trang)",
            "full": "dựng lại toàn bộ từ thư mục trống, nén và kiểm tra mọi tệp (mặc định: chỉ "
                    "những gì đã đổi; tự làm toàn bộ lần đầu, khi mã/giao diện đổi, mỗi tuần)"})
def publish(c, dry_run=False, force=False, full=False):
    """Dựng (nghiêm ngặt), nén và kiểm tra những gì đã đổi, rồi xuất bản lên các máy chủ."""
    from newsroom.publish import release as publishing

    _report(publishing, lambda: publishing.publish(dry_run=dry_run, force=force, full=full,
                                                   say=print))


@task(help={"to": "tên bản muốn quay về (mặc định: bản mới nhất cũ hơn bản đang chạy mà "
                  "chưa từng bị quay lại)"})
def rollback(c, to=None):
    """Quay trang đang chạy về bản xuất bản trước đó trên mọi máy chủ (xem invoke releases)."""
    from newsroom.publish import release as publishing

    _report(publishing, lambda: publishing.rollback(to=to, say=print))


@task
def rollforward(c):
    """Tiến lên bản mới hơn bản đang chạy (bản mà một lần quay lại đã rời) trên mọi máy chủ."""
    from newsroom.publish import release as publishing

    _report(publishing, lambda: publishing.rollforward(say=print))


@task
def releases(c):
    """Liệt kê các bản trên từng máy chủ: giờ Việt Nam, ai xuất bản, commit nào, bản đang chạy."""
    from newsroom.publish import release as publishing
    from newsroom.publish import releases as listing

    try:
        code = listing.show(say=print)
    except publishing.PublishError as exc:
        raise SystemExit(f"Không thực hiện: {exc}") from None
    if code:
        raise SystemExit(code)


@task(help={"articles": "số bài của kho bài mẫu (mặc định 1000)"})
def bench_publish(c, articles=1000):
    """Đo từng bước xuất bản một bài mới (dựng, dọn, nén, kiểm tra, gửi, chuyển) qua máy chủ SSH
    thật trên 127.0.0.1: lần đầu, toàn bộ (--full) và hằng ngày (kết quả vào bench/)."""
    from benchmarks import bench_publish as measure

    n = int(articles)
    print(measure.table(n, measure.run(n)))


def _report(publishing, action):
    try:
        report = action()
    except publishing.PublishError as exc:
        raise SystemExit(f"Không thực hiện: {exc}") from None
    print(report.summary())
    if report.exit_code:  # 1: nothing changed there; 3: switched, a later step failed
        raise SystemExit(report.exit_code)


@task(help={"conf": "tệp cấu hình (mặc định publishconf.py, như khi xuất bản)"})
def audit(c, conf="publishconf.py"):
    """Đo Lighthouse (điện thoại) và axe trên trang chủ, bài viết, chiến dịch, tìm kiếm."""
    from benchmarks import audit as audit_module

    try:
        results = audit_module.run(conf)
    except audit_module.AuditError as exc:
        raise SystemExit(f"Không chạy được audit: {exc}") from None
    print(audit_module.table(results))
    print(f"Báo cáo đầy đủ: {ROOT / 'reports' / 'audit'}/")


@task
def screenshots(c):
    """Chụp trang chủ, bài viết, chiến dịch, tìm kiếm (điện thoại, máy tính) và trang 1 bản tin in (docs/anh/)."""
    from benchmarks import screenshots as shots

    for path in [*shots.run(), shots.bulletin_picture()]:
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


@task
def fonts(c):
    """Tải lại phông Be Vietnam Pro (gói npm đã ghim) và cắt gọn vào theme/static/fonts/."""
    from newsroom.build import fonts as typeface

    for path in typeface.refresh():
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} byte")


@task(help={"copies": "số bản chép nội dung mẫu (mặc định 20, khoảng 1000 bài)"})
def bench_reader(c, copies=20):
    """Đo chi phí của tìm kiếm và tin liên quan trên trang lớn (chép nội dung mẫu nhiều lần)."""
    from benchmarks import bench_reader as measure

    figures = measure.run(int(copies))
    for key, value in figures.items():
        print(f"{key:>24}: {value}")


@task(help={"output": "thư mục đầu ra đã dựng (mặc định output/; không bị sửa)",
            "compare": "đo thêm cách cũ: Pagefind đọc mọi trang; chỉ mục mỗi năm một phần "
                       "(lượt tải của bạn đọc)"})
def bench_search(c, output="output", compare=False):
    """Đo chỉ mục tìm kiếm trên bản dựng (thư mục output/).

    Pagefind (chỉ bài viết, chạy hai lần) và bước viết không dấu các từ có chữ đ (đoàn → doan).
    """
    from benchmarks import bench_search as measure

    for key, value in measure.run(Path(output), compare=compare).items():
        print(f"{key:>24}: {value}")


@task(help={"week": "tuần ISO: 2026-W49 (hoặc 2026-49, 49/2026); mặc định tuần trọn gần nhất",
            "from_": "ngày đầu (2026-11-23 hoặc 23/11/2026), dùng cùng --to thay cho --week",
            "to": "ngày cuối (tối đa 31 ngày)",
            "out": "thư mục ghi bản tin (mặc định content/ban-tin/: lên trang ở lần xuất bản tới)",
            "commit": "commit luôn hai tệp vừa ghi (PDF và mô tả) vào git"})
def bulletin(c, week=None, from_=None, to=None, out=None, commit=False):
    """Làm “Bản tin Công đoàn TKV” khổ A4 (PDF, 2–4 trang, mã QR từng tin) để in, dán bảng tin."""
    from newsroom.editorial import bulletin as paper

    try:
        made = paper.make(week, from_, to, out=out,
                          data_dir=os.environ.get("NEWSROOM_DATA") or None)
    except paper.BulletinError as exc:
        raise SystemExit(f"Chưa làm được bản tin: {exc}") from None
    print(paper.summary(made))
    if commit:
        _commit_files([made.pdf, made.description], f"Bản tin {made.issue.label} ({made.issue.dates})")


@task(help={"article": "một bài: slug, địa chỉ bài hoặc đường dẫn tệp bài",
            "since": "mọi bài đăng từ ngày này (2026-11-30 hoặc 30/11/2026); mặc định 7 ngày qua",
            "out": "thư mục ghi (mặc định reports/mang-xa-hoi/, không đăng lên trang)"})
def social(c, article=None, since=None, out=None):
    """Soạn sẵn bài đăng Facebook, Zalo (tiêu đề, tóm tắt, hashtag chiến dịch, đường dẫn, ảnh)."""
    from newsroom.editorial import social as posts

    try:
        kit = posts.make(article, since, out=out,
                         data_dir=os.environ.get("NEWSROOM_DATA") or None)
    except posts.SocialError as exc:
        raise SystemExit(f"Chưa soạn được bài đăng: {exc}") from None
    print(f"Đã soạn {len(kit.posts)} bài đăng Facebook, Zalo: mở {kit.page} bằng trình duyệt, "
          "bấm “Chép” rồi dán vào fanpage, nhóm Zalo.")


def _commit_files(paths, message):
    from newsroom.core import gitrepo

    try:
        done = gitrepo.commit(ROOT, paths, message)
    except gitrepo.GitError as exc:
        raise SystemExit(f"Đã ghi tệp nhưng chưa commit được: {exc}") from None
    print(f"Đã commit {done[:12]} (chỉ {', '.join(Path(p).name for p in paths)}).")


@task(help={"compare": "tệp JSON lấy trước đó: in các tệp khác nhau (mã thoát 1 nếu có)",
            "out": "tệp JSON ghi kết quả"})
def bench_manifest(c, out=None, compare=None):
    """Mã băm từng tệp output/ của trang mẫu và kho 1.000 bài, để so trước và sau một thay đổi."""
    from benchmarks import output_manifest

    code = output_manifest.main([*([out] if out else []), *(["--compare", compare] if compare else [])])
    if code:
        raise SystemExit(code)


#: The measurements, listed apart: ``invoke bench`` is the build's, the others ``bench.<name>``.
BENCH = {"build": bench, "check": bench_check, "images": bench_images, "reader": bench_reader,
         "report": report_bench, "search": bench_search, "tags": bench_tags,
         "publish": bench_publish, "manifest": bench_manifest}

ns = invoke.Collection(*(t for t in list(globals().values())
                         if isinstance(t, invoke.Task) and t not in BENCH.values()))
_measurements = invoke.Collection("bench")
for _name, _task in BENCH.items():
    _measurements.add_task(_task, name=_name, default=_name == "build")
ns.add_collection(_measurements)

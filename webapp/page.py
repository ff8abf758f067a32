"""The page itself (gradio Blocks): the two views and what each button does.

The heavy actions (a summary, scoring a data set) share one queue slot, so that one runs at a time
and the others wait with their place shown; everything else answers at once. Any problem with the
user's files is shown in the page as the scripts word it; a bug is logged on the server and the page
says so in one line, never with a traceback, and stays usable.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd  # gradio's own dependency: its tables take data frames

from features.segmentation import Segmentation
from utils.errors import ProjectError
from utils.paths import display_path
from webapp import choices
from webapp.access import chosen_file, typed_path
from webapp.sessions import Sessions
from webapp.settings import AppSettings
from webapp.summary_job import BackboneChoice, JobState, SummaryJob, SummaryOptions, SummaryResult, shown_command

if TYPE_CHECKING:
    from webapp.inspection import Inspection

log = logging.getLogger(__name__)

HEAVY = "heavy"  # the concurrency group of the actions that take a CPU or GPU for seconds
UPDATE_SECONDS = 0.25  # the most often the progress bar is redrawn; the end is seen at once
PERCENT, SECONDS = "percent of the video", "seconds at most"
SHOT_HEADERS = ["shot", "start (s)", "end (s)", "score", "in the summary"]


def _problem(error: BaseException) -> str:
    return f"**error:** {display_path(str(error))}"


def _bug(error: BaseException) -> str:
    log.exception("the page's action failed")
    return f"**internal error** ({type(error).__name__}); the server's log has the details. The page is still usable."


class Actions:
    """The handlers of one page; ``sessions`` holds each visitor's folder and running summary."""

    def __init__(self, settings: AppSettings, sessions: Sessions) -> None:
        self.settings = settings
        self.sessions = sessions

    # ---- Summarise a video ----

    def _options(self, weights_choice: str, weights_upload: str | None, backbone: str, length_kind: str,
                 length_value: float | None, segmentation: str, device: str, *, write_stand_in: bool = True) -> SummaryOptions:
        """The command's options; ``write_stand_in=False``: the STAND-IN weights' path only, not the file (no torch)."""
        if weights_upload:
            weights = Path(weights_upload)
        elif weights_choice == choices.STAND_IN_WEIGHTS:
            folder = self.settings.work_root / "stand_in"
            weights = choices.stand_in_weights(folder) if write_stand_in else choices.stand_in_path(folder)
        else:
            weights = typed_path(weights_choice or "", self.settings, "weights file")
        if length_value is None or not length_value > 0:
            raise ProjectError(f"the summary's length must be above 0 (got {length_value})")
        if length_kind == PERCENT and length_value > 100:
            raise ProjectError(f"the summary's length is a share of the video: at most 100% (got {length_value:g}%)")
        return SummaryOptions(
            weights=weights,
            seconds=float(length_value) if length_kind == SECONDS else None,
            ratio=float(length_value) / 100 if length_kind == PERCENT else 0.15,
            segmentation=Segmentation(segmentation).value,
            device=None if device in ("", "auto") else device,
            backbone=next(c for c in BackboneChoice if c.label == backbone),
        )

    def summarise(self, video_upload: str | None, video_path: str, weights_choice: str, weights_upload: str | None,
                  backbone: str, length_kind: str, length_value: float | None, segmentation: str, device: str,
                  request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple:  # noqa: B008 (gradio's way)
        """(status, summary video, picture, downloads, shots, original, command, original path), answered once at the
        end; meanwhile the progress goes to the bar (gr.Progress). One answer, not a generator's: gradio sends a
        generator's last answer twice (streamed, then as the result), and its client fetches every file of each."""
        skip = gr.skip()
        session = request.session_hash or "anonymous"
        job: SummaryJob | None = None
        try:
            source = chosen_file(video_upload, video_path, self.settings, "video")
            options = self._options(weights_choice, weights_upload, backbone, length_kind, length_value, segmentation, device)
            folder = self.sessions.new_folder(session, "summary-")
            job = SummaryJob(source, options, folder)
            self.sessions.start(session, job)
            said = shown_command(source, options)
            shown = None
            while True:
                now = job.progress
                if now != shown:  # the page is told only what changed
                    shown = now
                    progress(now.fraction, desc=now.words)
                if job.wait(UPDATE_SECONDS):  # wakes the moment the command ends
                    break
            state, result, message = job.finish()
            if state is not JobState.DONE or result is None:
                return (("**cancelled**: nothing was kept" if state is JobState.CANCELLED else _problem(message)),
                        None, None, None, None, None, said, None)
            original = self._playable_original(source, folder)
            return (self._summary_words(result), str(result.video) if result.video else None, str(result.picture),
                    [str(p) for p in (result.video, result.record, result.picture) if p is not None],
                    self._shots(result), original, said, original)
        except (ProjectError, OSError) as error:
            return (_problem(error), None, None, None, None, None, skip, None)
        except Exception as error:  # noqa: BLE001 (a bug: logged, and the page stays usable)
            return (_bug(error), None, None, None, None, None, skip, None)
        finally:
            if job is not None:
                job.cancel()  # when the wait ended otherwise than by the command's end (a bug, the event stopped)
                self.sessions.done(session, job)

    def starting(self, video_upload: str | None, video_path: str, weights_choice: str, weights_upload: str | None,
                 backbone: str, length_kind: str, length_value: float | None, segmentation: str, device: str) -> tuple:
        """At the click, just before summarise (chained: its answer never overtakes this one) and at once, even
        while summarise waits in the queue: the last summary cleared and the command shown; nothing changed
        when the choices are wrong, which summarise then words."""
        try:
            source = chosen_file(video_upload, video_path, self.settings, "video")
            options = self._options(weights_choice, weights_upload, backbone, length_kind, length_value, segmentation, device,
                                    write_stand_in=False)
        except (ProjectError, OSError):
            return (gr.skip(),) * 8
        return ("starting…", None, None, None, None, None, shown_command(source, options), None)

    @staticmethod
    def _summary_words(result: SummaryResult) -> str:
        p = result.payload
        words = (f"**done**: {p['duration_seconds']:.1f} s → {p['summary_seconds']:.1f} s "
                 f"({p['summary_frames']} of {p['n_frames']} frames, {len(p['shots'])} shots, "
                 f"{len(p['chosen_shots'])} chosen); backbone: {p['backbone']}")
        if p.get("fallback"):
            words += "\n\nEvery shot was longer than the budget: the best stretch inside one shot was kept."
        return words

    @staticmethod
    def _shots(result: SummaryResult) -> list[list[Any]]:
        return [[s["index"], round(s["start_seconds"], 2), round(s["end_seconds"], 2), round(s["score"], 4),
                 "yes" if s["chosen"] else ""] for s in result.payload["shots"]]

    def _playable_original(self, source: Path, folder: Path) -> str | None:
        """The original, where the page may serve it: an upload as it is, a typed path linked into
        the job's folder (served from there, never from where it lives); None when it cannot be linked."""
        if source.is_relative_to(self.settings.work_root):  # an upload: under the page's work folder
            return str(source)
        target = folder / "original" / source.name
        target.parent.mkdir()
        try:
            os.link(source, target)
        except OSError:
            return None
        return str(target)

    def cancel(self, request: gr.Request) -> str:
        job = self.sessions.running(request.session_hash or "anonymous")
        if job is None:
            return "nothing to cancel"
        job.cancel()
        return "**cancelled**: nothing was kept"

    @staticmethod
    def play_shot(original: str | None, event: gr.SelectData) -> Any:
        """The original video from the start of the shot whose row was clicked."""
        if not original or event.index is None:
            return gr.skip()
        row = event.row_value
        return gr.Video(value=original, playback_position=float(row[1]), autoplay=True)

    # ---- Look inside predictions ----

    def inspect(self, data_upload: str | None, data_path: str, score_uploads: list[str] | None, score_paths: str,
                annotations_upload: str | None, request: gr.Request) -> tuple:
        """Yields (status, table, video choice, picture, inspection)."""
        from webapp.inspection import inspect, table  # h5py and the evaluation: not needed before the first Score

        try:
            data = chosen_file(data_upload, data_path, self.settings, "data set (h5)")
            scores = [Path(p) for p in score_uploads or []]
            scores += [typed_path(line, self.settings, "score file") for line in (score_paths or "").splitlines() if line.strip()]
            if not scores:
                raise ProjectError("no score file given: upload one or two (inference.py --save-scores, or JSON video -> scores)")
            folder = self.sessions.new_folder(request.session_hash or "anonymous", "inspect-")
            found = inspect(data, scores, Path(annotations_upload) if annotations_upload else None, folder)
            headers, rows = table(found)
            first = next(iter(found.data.videos))
            means = "; ".join(f"{m.label}: F1 {m.overall.f1:.2f}, tau {m.overall.kendall:.3f}, rho {m.overall.spearman:.3f} "
                              f"({len(m.metrics)} videos)" for m in found.methods)
            words = f"**{display_path(data.name)}**: {found.protocol}. Means: {means}"
            picture = self._picture(found, first, folder)
            return (words, pd.DataFrame(rows, columns=headers),
                    gr.Dropdown(choices=list(found.data.videos), value=first), picture, found)
        except (ProjectError, OSError) as error:
            return (_problem(error), None, gr.Dropdown(choices=[], value=None), None, None)
        except Exception as error:  # noqa: BLE001 (a bug: logged, and the page stays usable)
            return (_bug(error), None, gr.Dropdown(choices=[], value=None), None, None)

    def show_video(self, key: str | None, found: Any, request: gr.Request) -> Any:  # found: an Inspection (gradio reads the hints)
        if not key or found is None:
            return gr.skip()
        try:
            return self._picture(found, key, self.sessions.new_folder(request.session_hash or "anonymous", "view-"))
        except (ProjectError, OSError) as error:
            gr.Warning(_problem(error))
            return gr.skip()

    @staticmethod
    def _picture(found: Inspection, key: str, folder: Path) -> str:
        from webapp.inspection import video_view
        from webapp.inspection_picture import draw_video_view

        path = folder / f"{key}.png"
        path.write_bytes(draw_video_view(video_view(found, key)))
        return str(path)

    def end_session(self, request: gr.Request) -> None:
        self.sessions.end(request.session_hash or "anonymous")


def build_page(settings: AppSettings, sessions: Sessions) -> gr.Blocks:
    actions = Actions(settings, sessions)
    weights = choices.weights_choices(settings)
    backbones, backbone_default = choices.backbone_choices()
    paths_note = ("a path on this machine" if settings.local_only and not settings.allow
                  else "a path inside the allowed folders (--allow)" if settings.allow else "typed paths are off (upload instead)")
    with gr.Blocks(title="CSTA video summaries", delete_cache=(1800, 3600)) as page:
        gr.Markdown("# CSTA video summaries\nOne heavy job runs at a time; while another runs, your place in the queue is shown.")
        with gr.Tab("Summarise a video"):
            with gr.Row():
                with gr.Column():
                    video_upload = gr.File(label="video (upload)", type="filepath", elem_id="video-upload")
                    video_path = gr.Textbox(label=f"or {paths_note}", elem_id="video-path",
                                            interactive=settings.local_only or bool(settings.allow))
                    weights_choice = gr.Dropdown(weights, value=weights[0], label="weights", allow_custom_value=True)
                    weights_upload = gr.File(label="or upload a weights file (.pt)", file_types=[".pt"], type="filepath")
                    backbone = gr.Radio(backbones, value=backbone_default, label="frame features")
                    banner = gr.Markdown(elem_id="stand-in-banner")  # filled on load: checking the cached file imports torch
                with gr.Column():
                    with gr.Row():
                        length_kind = gr.Radio([PERCENT, SECONDS], value=PERCENT, label="summary length")
                        length_value = gr.Number(value=15, label="length", minimum=0, elem_id="length")
                    segmentation = gr.Radio([s.value for s in Segmentation], value=Segmentation.FAST.value,
                                            label="segmentation (fast: sampled frames; full: the reference's route, slow)")
                    device = gr.Dropdown(["auto", "cpu", "cuda"], value=settings.device or "auto", label="device",
                                         allow_custom_value=True)
                    with gr.Row():
                        go = gr.Button("Summarise", variant="primary", elem_id="summarise")
                        stop = gr.Button("Cancel", variant="stop", elem_id="cancel")
                    status = gr.Markdown(elem_id="summary-status")
                    said = gr.Textbox(label="the same command", interactive=False)
            with gr.Row():
                summary_video = gr.Video(label="summary (with its sound)", elem_id="summary-video", interactive=False)
                original_video = gr.Video(label="original (click a shot below to play from it)", elem_id="original-video",
                                          interactive=False)
            picture = gr.Image(label="importance, shots (grey lines), summary (shaded), keyframes", type="filepath",
                               elem_id="summary-picture", interactive=False)
            shots = gr.Dataframe(headers=SHOT_HEADERS, label="shots (click one to play the original from it)",
                                 interactive=False, elem_id="shots")
            downloads = gr.File(label="downloads: summary, JSON, PNG", file_count="multiple", interactive=False)
            original_path = gr.State(None)
            for box in (weights_choice, backbone):
                box.change(choices.banner, [weights_choice, backbone], banner, queue=False, api_visibility="private")
            summary_inputs = [video_upload, video_path, weights_choice, weights_upload, backbone, length_kind, length_value,
                              segmentation, device]
            summary_outputs = [status, summary_video, picture, downloads, shots, original_video, said, original_path]
            clicked = go.click(actions.starting, summary_inputs, summary_outputs, queue=False, show_progress="hidden",
                               api_visibility="private")
            running = clicked.then(actions.summarise, summary_inputs, summary_outputs,
                                   api_name="summarise", concurrency_limit=1, concurrency_id=HEAVY, show_progress="full",
                                   show_progress_on=[status])
            stop.click(actions.cancel, None, status, api_name="cancel", queue=False, cancels=[running])
            shots.select(actions.play_shot, original_path, original_video, queue=False, api_visibility="private")
        with gr.Tab("Look inside predictions"):
            with gr.Row():
                data_upload = gr.File(label="data set (eccv16 h5: SumMe, TVSum, built by build_dataset.py)", type="filepath",
                                      elem_id="data-upload")
                data_path = gr.Textbox(label=f"or {paths_note}", elem_id="data-path")
                annotations = gr.File(label="TVSum only: ydata-anno.tsv (when not beside the h5)", type="filepath")
            with gr.Row():
                score_uploads = gr.File(label="score files (inference.py --save-scores h5, or JSON video -> scores)",
                                        file_count="multiple", type="filepath", elem_id="score-uploads")
                score_paths = gr.Textbox(label=f"or {paths_note}, one per line", lines=2, elem_id="score-paths")
            look = gr.Button("Score", variant="primary", elem_id="score")
            inspect_status = gr.Markdown(elem_id="inspect-status")
            metrics = gr.Dataframe(label="F1 (%), Kendall tau, Spearman rho per video (click a header to sort)",
                                   interactive=False, elem_id="metrics")
            video_choice = gr.Dropdown([], label="video", elem_id="video-choice")
            view = gr.Image(label="ground truth (mean ± spread), predictions, user summaries, each method's selection",
                            type="filepath", interactive=False, elem_id="video-view")
            found = gr.State(None)
            look.click(actions.inspect, [data_upload, data_path, score_uploads, score_paths, annotations],
                       [inspect_status, metrics, video_choice, view, found], api_name="inspect",
                       concurrency_limit=1, concurrency_id=HEAVY)
            video_choice.change(actions.show_video, [video_choice, found], view, api_name="show_video")
        page.load(choices.banner, [weights_choice, backbone], banner, api_visibility="private")
        page.unload(actions.end_session)
    return page

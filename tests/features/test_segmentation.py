"""The --segmentation type: what each route embeds and how many frames it batches."""

from features.segmentation import Segmentation


def test_the_full_route_embeds_every_frame_and_the_fast_one_the_model_s_steps():
    assert Segmentation.FULL.frames_between_embeddings(15) == 1
    assert Segmentation.FAST.frames_between_embeddings(15) == 15


def test_default_batches():
    assert [route.default_batch_size("cpu") for route in Segmentation] == [8, 4]  # FAST, FULL
    assert {route.default_batch_size("cuda") for route in Segmentation} == {64}


def test_the_command_lines_offer_the_routes_in_this_order():
    assert [route.value for route in Segmentation] == ["fast", "full"]  # --segmentation {fast,full}, fast first

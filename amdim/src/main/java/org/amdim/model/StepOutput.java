package org.amdim.model;

import java.util.LinkedHashMap;
import java.util.Map;

import org.amdim.model.encoder.Features;
import org.amdim.model.heads.ClassifierLoss;
import org.amdim.model.heads.EvaluatorLogits;
import org.amdim.model.mixture.MixtureLoss;
import org.amdim.model.nce.NceLosses;
import org.amdim.tensor.Tensor;

/**
 * Everything one self-supervised training step's forward computes ({@link AmdimModel#forwardStep}). The
 * scalars are attached to the autograd graph; backpropagate {@link #lossOpt()}. The record owns every tensor:
 * close it after the backward pass.
 *
 * @param nce        the multi-scale NCE terms (1t5, 1t7, 5t5, lgt_reg and the six directions)
 * @param mixture    the mixture objective, or null when the mixture is disabled
 * @param lossG2l    {@code 1t5 + 1t7 + 5t5}; with the mixture, {@code 1t5 − mixture objective + 5t5} (the mixture
 *                   objective takes the 1→7 term's place)
 * @param lgtReg     the optimised score regulariser: the NCE's {@code lgt_reg}; with the mixture, the 1→5 and 5→5
 *                   directions' share of it plus the mixture's regulariser
 * @param lossInf    {@code lossG2l + lgtReg}
 * @param lossClsMlp {@link ClassifierLoss#lossXent} of the MLP head's logits against the duplicated labels
 * @param lossClsLin the same for the linear head
 * @param lossCls    {@code lossClsMlp + lossClsLin}
 * @param lossOpt    {@code lossInf + lossCls}: what the optimiser minimises
 * @param logits     the classifier logits of the 2B rows (view 1's images first, then view 2's)
 * @param accMlp     top-1 accuracy of the MLP head over the labelled rows
 * @param accLin     top-1 accuracy of the linear head
 * @param view1      the encoder's outputs for view 1
 * @param view2      the encoder's outputs for view 2
 */
public record StepOutput(NceLosses nce, MixtureLoss mixture, Tensor lossG2l, Tensor lgtReg, Tensor lossInf,
        Tensor lossClsMlp, Tensor lossClsLin, Tensor lossCls, Tensor lossOpt, EvaluatorLogits logits,
        ClassifierLoss.Accuracy accMlp, ClassifierLoss.Accuracy accLin, Features view1, Features view2)
        implements AutoCloseable {

    /**
     * The logged values by name: the original script's {@code loss_g2l_1t5}, {@code loss_g2l_1t7} (with the
     * mixture on, reported but not optimised), {@code loss_g2l_5t5}, {@code lgt_reg} (the optimised one), {@code loss_g2l}, {@code loss_inf}, {@code loss_cls}, then
     * {@code loss_cls_mlp}, {@code loss_cls_lin}, {@code loss_mixture_objective} (only when the mixture is
     * enabled), {@code loss_opt}, {@code train_acc_glb_mlp} and {@code train_acc_glb_lin} (NaN when no row is
     * labelled). Reads each scalar once (a device sync per value).
     */
    public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss_g2l_1t5", nce.loss1t5().item());
        m.put("loss_g2l_1t7", nce.loss1t7().item());
        m.put("loss_g2l_5t5", nce.loss5t5().item());
        m.put("lgt_reg", lgtReg.item());
        m.put("loss_g2l", lossG2l.item());
        m.put("loss_inf", lossInf.item());
        m.put("loss_cls", lossCls.item());
        m.put("loss_cls_mlp", lossClsMlp.item());
        m.put("loss_cls_lin", lossClsLin.item());
        if (mixture != null) {
            m.put("loss_mixture_objective", mixture.objective().item());
        }
        m.put("loss_opt", lossOpt.item());
        m.put("train_acc_glb_mlp", accMlp.value());
        m.put("train_acc_glb_lin", accLin.value());
        return m;
    }

    /** Closes every tensor. */
    @Override
    public void close() {
        nce.close();
        if (mixture != null) {
            mixture.close();
        }
        lossG2l.close();
        lgtReg.close();
        lossInf.close();
        lossClsMlp.close();
        lossClsLin.close();
        lossCls.close();
        lossOpt.close();
        logits.close();
        view1.close();
        view2.close();
    }
}
